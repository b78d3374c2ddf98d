# The tutorial's Execute DAT: onStart clears the table but its header.


def onStart():
    op('test_test').clear(keepFirstRow=True)
    return
