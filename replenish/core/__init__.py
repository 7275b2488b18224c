"""The bottom layer: the audit chain, the shared errors and the roles, defined once.

It imports no other app of ours; every other app may import it. The layers, bottom to top:
core <- replenish <- integrations <- exceptions (incl. exceptions.workflows) <- governance.
A lower layer that needs an upper one's answer goes through a port in `replenish.core.ports` (filled by the upper
app's AppConfig.ready()) or a signal.
"""
