"""Execute DAT: a code DAT whose callbacks fire on start/create/frames when their toggles are on."""
from .ops import TextDAT

TOGGLES = {
    'onStart': 'start', 'onCreate': 'create', 'onExit': 'exit', 'onFrameStart': 'framestart',
    'onFrameEnd': 'frameend', 'onPlayStateChange': 'playstatechange', 'onDeviceChange': 'devicechange',
    'onProjectPreSave': 'projectpresave', 'onProjectPostSave': 'projectpostsave',
}


class ExecuteDAT(TextDAT):
    def __init__(self, name, text, world, **toggles):
        pars = {'active': True}
        for par in TOGGLES.values():
            pars[par] = bool(toggles.get(par, par in ('start', 'create', 'framestart')))
        super().__init__(name, text, world, pars)

    def fire(self, callback, *args):
        if not self.par.active.eval() or not getattr(self.par, TOGGLES[callback]).eval():
            return None
        return self.world.call(self, callback, *args)
