"""Domain signals of the integrations app."""

from django.dispatch import Signal

# Sent after the ERP answered a posting: kwargs message (OutboxMessage), ok (bool), outcome (dict).
posting_completed = Signal()

# Sent after an inbound message was applied (on commit): kwargs message (InboxMessage), item_location_ids
# (list[int]): the SKU-locations whose data changed, for a re-plan of only those.
inbound_applied = Signal()

# Sent after WMS tasks or labor capacity were applied (on commit): kwargs message (InboxMessage), location_days
# (list of (location_id, "YYYY-MM-DD")): the warehouses and days whose work or labor changed.
wms_applied = Signal()
