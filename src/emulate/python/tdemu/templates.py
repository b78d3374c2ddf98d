"""The text TouchDesigner puts in a DAT it creates: the default callbacks templates.

WEBSOCKET_CALLBACKS is the template on https://docs.derivative.ca/WebsocketDAT_Class#Callbacks (seven
functions, each ending in a bare `return`; onReceivePing answers with sendPong as the template does).
EXECUTE is the Execute DAT template as exported from 2022-2025 builds (onCreate, not the `create()` of
https://docs.derivative.ca/ExecuteDAT_Class, plus the two project-save callbacks).
"""

WEBSOCKET_CALLBACKS = '''# me - this DAT
# dat - the DAT that received a message

def onConnect(dat):
\treturn

# me - this DAT
# dat - the DAT that received a message

def onDisconnect(dat):
\treturn

# me - this DAT
# dat - the DAT that received a message
# rowIndex - the row number the message was placed into
# message - a unicode representation of the text
#
# Only text frame messages will be handled in this function.

def onReceiveText(dat, rowIndex, message):
\treturn

# me - this DAT
# dat - the DAT that received a message
# contents - a byte array of the message contents
#
# Only binary frame messages will be handled in this function.

def onReceiveBinary(dat, contents):
\treturn

# me - this DAT
# dat - the DAT that received a message
# contents - a byte array of the message contents
#
# Only ping messages will be handled in this function.

def onReceivePing(dat, contents):
\tdat.sendPong(contents) # send a reply with same message
\treturn

# me - this DAT
# dat - the DAT that received a message
# contents - a byte array of the message content
#
# Only pong messages will be handled in this function.

def onReceivePong(dat, contents):
\treturn

# me - this DAT
# dat - the DAT that received a message
# message - a unicode representation of the message
#
# Use this method to monitor the websocket status messages

def onMonitorMessage(dat, message):
\treturn
'''

EXECUTE = '''# me - this DAT
#
# frame - the current frame
# state - True if the timeline is paused
#
# Make sure the corresponding toggle is enabled in the Execute DAT.

def onStart():
\treturn

def onCreate():
\treturn

def onExit():
\treturn

def onFrameStart(frame):
\treturn

def onFrameEnd(frame):
\treturn

def onPlayStateChange(state):
\treturn

def onDeviceChange():
\treturn

def onProjectPreSave():
\treturn

def onProjectPostSave():
\treturn
'''

# The Script CHOP's docked callbacks DAT as https://docs.derivative.ca/ScriptCHOP_Class#Callbacks shows it.
SCRIPT_CHOP_CALLBACKS = '''# me - this DAT
# scriptOp - the OP which is cooking

# press 'Setup Parameters' in the OP to call this function to re-create the parameters.
def onSetupParameters(scriptOp):
\tpage = scriptOp.appendCustomPage('Custom')
\tp = page.appendFloat('Valuea', label='Value A')
\tp = page.appendFloat('Valueb', label='Value B')
\treturn

# called whenever custom pulse parameter is pushed
def onPulse(par):
\treturn

def onCook(scriptOp):
\tscriptOp.clear()
\treturn
'''

# The Web Server DAT's callbacks template as https://docs.derivative.ca/WebserverDAT_Class#Callbacks shows it.
WEBSERVER_CALLBACKS = '''# me - this DAT.
# webServerDAT - the connected Web Server DAT

def onHTTPRequest(webServerDAT, request, response):
\tresponse['statusCode'] = 200 # OK
\tresponse['statusReason'] = 'OK'
\tresponse['data'] = '<b>TouchDesigner: </b>' + webServerDAT.name
\treturn response

def onWebSocketOpen(webServerDAT, client, uri):
\treturn

def onWebSocketClose(webServerDAT, client):
\treturn

def onWebSocketReceiveText(webServerDAT, client, data):
\twebServerDAT.webSocketSendText(client, data)
\treturn

def onWebSocketReceiveBinary(webServerDAT, client, data):
\twebServerDAT.webSocketSendBinary(client, data)
\treturn

def onWebSocketReceivePing(webServerDAT, client, data):
\twebServerDAT.webSocketSendPong(client, data=data);
\treturn

def onWebSocketReceivePong(webServerDAT, client, data):
\treturn

def onServerStart(webServerDAT):
\treturn

def onServerStop(webServerDAT):
\treturn
'''

# The OSC In DAT's callbacks template as https://docs.derivative.ca/OscinDAT_Class#Callbacks shows it.
OSCIN_CALLBACKS = '''# me - this DAT
#
# dat - the DAT that received a message
# rowIndex - the row number the message was placed into
# message - an ascii representation of the data
# bytes - a byte array of the message.
# timeStamp - the arrival time component the OSC message
# address - the address component of the OSC message
# args - a list of values contained within the OSC message
# peer - a Peer object describing the originating message

def onReceiveOSC(dat, rowIndex, message, bytes, timeStamp, address, args, peer):
\treturn
'''
