from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    """{{ before|lookup:key }}: a dict's value by a variable key ('' when absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""
