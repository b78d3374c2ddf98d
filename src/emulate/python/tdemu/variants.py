"""Behaviours TouchDesigner's documentation leaves open, as switches. A World takes `variants={...}` merged over
DEFAULTS; tests run the generated scripts under each single flip and under ADVERSE (every key at its harder
value) so the scripts are right whichever way the real build behaves.

Each key's `doc` says which page leaves it open and why its adverse value is the harder one.
`python3 -m tdemu.variants` prints {"defaults", "adverse", "flips"} as JSON (src/emulate/variants.ts is
checked against it).
"""
import json
import sys
from collections import namedtuple

Variant = namedtuple('Variant', 'default adverse flip choices doc')

VARIANTS = {
    'failed_connect_disconnect': Variant(False, False, True, (False, True), """
        A connection attempt that fails (server down, refused) calls onDisconnect (True) or nothing (False).
        https://docs.derivative.ca/WebSocket_DAT and https://docs.derivative.ca/WebsocketDAT_Class describe
        onDisconnect only by its template; neither says whether an attempt that never connected calls it.
        Adverse: False. Scripts that wait for onDisconnect to retry would wait forever, so they must time
        out their own attempts."""),
    'deactivate_disconnect': Variant(True, False, False, (False, True), """
        Switching par.active off while connected calls onDisconnect (True) or the connection ends silently
        (False). https://docs.derivative.ca/WebSocket_DAT says only "While Off, no updating occurs".
        Adverse: False. State kept by onConnect/onDisconnect stays 'connected' after a script's own
        off/on toggle unless the script updates it itself."""),
    'module': Variant('shared', 'separate', 'separate', ('shared', 'separate'), """
        'shared': the module the WebSocket DAT / Execute DAT call their callbacks in is the one
        op('x').module returns. 'separate': two instances compiled from the same text, separate globals.
        https://docs.derivative.ca/DAT_Class documents `module` ("the contents of the DAT as a module") but
        no page says the callbacks run in that same instance.
        Adverse: 'separate'. State shared through module globals between two DATs silently splits; share
        it through operator storage instead (https://docs.derivative.ca/OP_Class#Storage)."""),
    'recompile': Variant('fresh', 'in_place', 'in_place', ('fresh', 'in_place'), """
        When a DAT's text changes its module is executed into a fresh namespace ('fresh') or into the same
        module dict ('in_place': old globals survive unless the new text overwrites them).
        https://docs.derivative.ca/Introduction_to_Python_Tutorial ("Automatic Recompilation of Modules")
        says when a module recompiles, not into what namespace.
        Adverse: 'in_place'. Names the new text no longer defines (old functions, old state) stay reachable,
        and objects captured by pending run() calls keep pointing at the old ones."""),
    'timeline': Variant('playing', 'paused', 'paused', ('playing', 'paused'), """
        The timeline's state when the project opens. A saved .toe can be paused; TouchDesigner's docs
        (https://docs.derivative.ca/Run_Class, Run_Command_Examples) warn that run() delays do not count
        down while it is. Adverse: 'paused'."""),
    'abstime_pauses': Variant(False, True, True, (False, True), """
        absTime.seconds / absTime.frame stop while the timeline is paused (True) or keep counting (False).
        https://docs.derivative.ca/AbsTime_Class (2025) says it pauses with the root timeline; the 2023 page
        says timeline pauses do not affect it. Adverse: True. Timestamps and timeouts built on absTime stop
        while paused; the wall clock (time.monotonic()) does not."""),
    'frame_start_when_paused': Variant(True, False, False, (False, True), """
        Execute DAT onFrameStart/onFrameEnd fire while the timeline is paused (True) or not (False).
        https://docs.derivative.ca/Execute_DAT says "at the start of every frame" without saying whether a
        paused timeline still has frames for it. Adverse: False. Periodic work hung on onFrameStart stops
        while paused."""),
    'create_docks_callbacks': Variant(True, False, False, (False, True), """
        COMP.create(websocketDAT, name) also creates a docked Text DAT name + '_callbacks' holding the default
        callbacks template and points par.callbacks at it (True), or creates the WebSocket DAT alone (False).
        https://docs.derivative.ca/COMP_Class#Methods says only that an initialization script "associated
        with the operator" runs unless initialize=False. Adverse: False. An installer must create and wire
        its own callbacks DAT."""),
    'replace_row_partial': Variant(True, False, False, (False, True), """
        TableDAT.replaceRow(..., entireRow=False) is accepted (True) or raises TypeError (False: a build
        whose replaceRow takes no entireRow keyword). https://docs.derivative.ca/TableDAT_Class lists
        entireRow in every copy found (2023 and 2025), but no page or release note says in which build it
        arrived. UNVERIFIED for older builds. Adverse: False."""),
    'storage_recook': Variant(True, False, False, (False, True), """
        A Script CHOP that fetch()ed a storage key while cooking re-cooks when that key is store()d again (True),
        or not (False). https://docs.derivative.ca/OP_Class (Storage) says "When an element of storage is
        changed by using n.store() ... expressions and operators that depend on it will automatically re-cook",
        and https://docs.derivative.ca/Script_CHOP that a Script OP records what it depends on while it runs;
        neither says in so many words that a fetch() made by a function of another DAT's module during onCook
        counts. Adverse: False. A Script CHOP fed from storage then cooks only when something forces it."""),
    'webserver_stop_closes': Variant(True, False, False, (False, True), """
        Stopping a Web Server DAT (Active off, Restart, project closing) calls onWebSocketClose for each open
        connection (True) or ends them silently (False). Neither https://docs.derivative.ca/Web_Server_DAT nor
        https://docs.derivative.ca/WebserverDAT_Class says; builds before 2025 are reported not to.
        Adverse: False. Per-client state must also be cleared in onServerStop/onServerStart."""),
    'webserver_close_callback': Variant(True, False, False, (False, True), """
        webSocketClose(client) called by a script later calls onWebSocketClose for that client (True) or not
        (False). https://docs.derivative.ca/WebserverDAT_Class documents the method ("Closes the Web Socket
        connection") and the callback ("Triggered when a WebSocket connection is closed") without saying.
        Adverse: False. A script that closes a client must clean up after it itself (and a callback that does
        fire must find nothing left to do)."""),
    'binary_contents': Variant('bytes', 'memoryview', 'bytearray', ('bytes', 'bytearray', 'memoryview'), """
        The type of `contents` that WebSocket DAT onReceiveBinary (and onReceivePing/onReceivePong) get: bytes,
        bytearray or memoryview. https://docs.derivative.ca/WebsocketDAT_Class says only "a byte array of the
        message contents" in the callbacks template; the reference notes read it as bytes. Adverse: 'memoryview'
        (no .decode(), len() counts items, slices are views); the single flip: 'bytearray', the docs' wording
        taken literally. Scripts that read contents through memoryview()/numpy.frombuffer work with all three."""),
}

DEFAULTS = {k: v.default for k, v in VARIANTS.items()}
ADVERSE = {k: v.adverse for k, v in VARIANTS.items()}
FLIPS = {k: v.flip for k, v in VARIANTS.items()}  # the non-default value each single-flip run uses


def resolve(variants=None):
    """DEFAULTS with `variants` merged over them; unknown keys and values are refused."""
    merged = dict(DEFAULTS)
    for key, value in (variants or {}).items():
        if key not in VARIANTS:
            raise ValueError('unknown variant %r (known: %s)' % (key, ', '.join(sorted(VARIANTS))))
        if value not in VARIANTS[key].choices or type(value) is not type(VARIANTS[key].default):
            raise ValueError('variant %s must be one of %r, not %r' % (key, VARIANTS[key].choices, value))
        merged[key] = value
    return merged


def main(out=sys.stdout):
    out.write(json.dumps({'defaults': DEFAULTS, 'adverse': ADVERSE, 'flips': FLIPS}) + '\n')


if __name__ == '__main__':
    main()
