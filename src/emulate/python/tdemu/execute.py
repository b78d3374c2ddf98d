"""Execute DAT (https://docs.derivative.ca/Execute_DAT): a code DAT whose callbacks fire on start/create/frames
when `active` and that callback's toggle are on."""
from .ops import TextDAT
from .templates import EXECUTE

TOGGLES = {
    'onStart': 'start', 'onCreate': 'create', 'onExit': 'exit', 'onFrameStart': 'framestart',
    'onFrameEnd': 'frameend', 'onPlayStateChange': 'playstatechange', 'onDeviceChange': 'devicechange',
    'onProjectPreSave': 'projectpresave', 'onProjectPostSave': 'projectpostsave',
}


class ExecuteDAT(TextDAT):
    OPType = 'executeDAT'
    type = 'execute'
    isText = True
    DEFAULT_NAME = 'execute1'

    def __init__(self, name, text, world, **toggles):
        """Without toggles given, Start, Create and Frame Start are on: the project as the generated scripts'
        instructions set it up. COMP.create() makes one with every toggle off (created())."""
        pars = {'active': True}
        for par in TOGGLES.values():
            pars[par] = bool(toggles.get(par, par in ('start', 'create', 'framestart')))
        super().__init__(name, text, world, pars)

    @classmethod
    def created(cls, name, world):
        """UNVERIFIED: a new Execute DAT's toggles. The docs give no defaults; here Active is on and every
        callback toggle off, so an installer has to switch on what it needs."""
        return cls(name, EXECUTE, world, **{par: False for par in TOGGLES.values()})

    def fire(self, callback, *args):
        if not self.par.active.eval() or not getattr(self.par, TOGGLES[callback]).eval():
            return None
        return self.world.call(self, callback, *args)
