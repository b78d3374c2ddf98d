"""Operator types as the td module names them (https://docs.derivative.ca/COMP_Class#Methods: "opType can be a
specific type object, example waveCHOP, or it can be a string 'waveCHOP'")."""
from .comp import COMP
from .execute import ExecuteDAT
from .ops import TextDAT, tdError
from .scriptchop import ScriptCHOP
from .table import TableDAT
from .oscin import OscInDAT
from .webserver import WebServerDAT
from .websocket import WebSocketDAT

TYPES = {cls.OPType: cls for cls in (TableDAT, TextDAT, WebSocketDAT, WebServerDAT, OscInDAT, ExecuteDAT, ScriptCHOP, COMP)}


def lookup(op_type):
    """A type object or its name -> the emulator class; unknown types raise tdError."""
    if isinstance(op_type, str):
        cls = TYPES.get(op_type)
    else:
        cls = op_type if op_type in TYPES.values() else None
    if cls is None:
        raise tdError('unknown or unsupported operator type %r (the emulator knows %s)'
                      % (op_type, ', '.join(sorted(TYPES))))
    return cls


def td_globals():
    """tableDAT, textDAT, websocketDAT, webserverDAT, oscinDAT, executeDAT, scriptCHOP, baseCOMP: `type(n)` of an operator is one of these."""
    return dict(TYPES)
