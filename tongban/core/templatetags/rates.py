from django import template

from tongban.core.rates import percent_text

register = template.Library()


register.filter("percent", percent_text)
