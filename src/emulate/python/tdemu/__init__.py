"""A small TouchDesigner emulator (standard library only) for running generated DAT scripts in CPython.

It copies the parts of TouchDesigner's Python API that the tdcrowd scripts touch, as TouchDesigner documents them
(https://docs.derivative.ca/TableDAT_Class, https://docs.derivative.ca/Cell_Class,
https://docs.derivative.ca/WebsocketDAT_Class, https://docs.derivative.ca/Execute_DAT): Table DAT and Cell,
WebSocket DAT, Execute DAT, op/me/absTime/run/debug, per-DAT module namespaces and a frame driver. Every table
operation is counted so tests can check algorithmic cost.
"""
from .counter import OpCounter
from .cell import Cell
from .table import TableDAT
from .par import Par, ParCollection
from .ops import OP, TextDAT
from .websocket import WebSocketDAT, LoopbackLink
from .execute import ExecuteDAT
from .world import World, AbsTime

__all__ = [
    'OpCounter', 'Cell', 'TableDAT', 'Par', 'ParCollection', 'OP', 'TextDAT',
    'WebSocketDAT', 'LoopbackLink', 'ExecuteDAT', 'World', 'AbsTime',
]
