"""A small TouchDesigner emulator (standard library only) for running generated DAT scripts in CPython.

It copies the parts of TouchDesigner's Python API that the tdcrowd scripts touch, as TouchDesigner documents them
(https://docs.derivative.ca/TableDAT_Class, https://docs.derivative.ca/Cell_Class,
https://docs.derivative.ca/WebsocketDAT_Class, https://docs.derivative.ca/Execute_DAT,
https://docs.derivative.ca/COMP_Class, https://docs.derivative.ca/OP_Class): Table DAT and Cell, WebSocket DAT,
Execute DAT, components (COMP.create and friends), op/me/absTime/run/runs/debug, operator storage, per-DAT
module namespaces, driven clocks and a frame driver. Behaviours the documentation leaves open are switches
(variants.py). Every table operation is counted so tests can check algorithmic cost.
"""
from .counter import OpCounter
from .cell import Cell
from .table import TableDAT
from .par import Par, ParCollection
from .ops import OP, TextDAT, tdError
from .comp import COMP
from .websocket import WebSocketDAT, LoopbackLink, LoopbackServer
from .execute import ExecuteDAT
from .clock import AbsTime
from .variants import DEFAULTS, ADVERSE
from .world import World

__all__ = [
    'OpCounter', 'Cell', 'TableDAT', 'Par', 'ParCollection', 'OP', 'TextDAT', 'tdError', 'COMP',
    'WebSocketDAT', 'LoopbackLink', 'LoopbackServer', 'ExecuteDAT', 'World', 'AbsTime', 'DEFAULTS', 'ADVERSE',
]
