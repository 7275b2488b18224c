"""Domain signals of the integrations app."""

from django.dispatch import Signal

# Sent after the ERP answered a posting: kwargs message (OutboxMessage), ok (bool), outcome (dict).
posting_completed = Signal()

# Sent inside the transaction that requeues a dead-lettered message, before the relay can take it: kwargs message
# (OutboxMessage), actor. A receiver that raises ValueError refuses the requeue (its message is shown): the subject
# was decided otherwise since, so posting it now would post an action nobody stands behind.
outbox_requeued = Signal()

# Sent inside the transaction that applies an inbound message (so a receiver's rows commit with the change, and a
# receiver's error rolls the message back to be processed again): kwargs message (InboxMessage), item_location_ids
# (list[int]): the SKU-locations whose data changed, for a re-plan of only those. Receivers start work on commit.
inbound_applied = Signal()

# Sent inside the applying transaction, like inbound_applied, after WMS tasks or labor capacity were applied: kwargs
# message (InboxMessage), location_days (list of (location_id, "YYYY-MM-DD")): the warehouses and days changed.
wms_applied = Signal()

# Sent inside the applying transaction after items' SKU codes were renamed: kwargs skus (list[str]), the new codes.
# Receivers update their copies of the code (the queue's tasks keep their item's SKU for the search).
items_renamed = Signal()
