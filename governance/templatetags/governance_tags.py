from django import template

from governance.readable import field_changes, payload_view, readable_fields

register = template.Library()


@register.filter
def lookup(mapping, key):
    """{{ before|lookup:key }}: a dict's value by a variable key ('' when absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""


@register.filter
def changes(before, after):
    """{% for c in d.before|changes:d.after %}: the fields that changed, labelled, with units (governance.readable)."""
    return field_changes(before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {})


@register.filter
def fields(payload, skip: str = ""):
    """{% for f in event.payload|fields %}: every field of a payload, labelled and formatted; `|fields:"a,b"`
    leaves out the top-level keys a and b."""
    if skip and isinstance(payload, dict):
        left_out = set(skip.split(","))
        payload = {k: v for k, v in payload.items() if k not in left_out}
    return readable_fields(payload)


@register.filter
def audit_view(payload):
    """{% with v=event.payload|audit_view %}: v.changes (a decision's before/after) and v.fields (the rest)."""
    return payload_view(payload)
