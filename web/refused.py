"""One refusal for the whole app: a request that cannot be done, and why.

``field`` names what was wrong (a form shows the reason beside it, the API answers it by name),
``status`` is the HTTP answer, and the message is kept as its English ``template`` with its
``params`` so each page can say it in its own language: ``_(exc.template, **exc.params)``
(``make messages`` extracts the templates from ``Refused(...)`` calls).
"""

from __future__ import annotations


class Refused(ValueError):
    """A mark, signal, house call or erasure that cannot be recorded as asked."""

    def __init__(self, field_name: str, template: str, status: int = 400, **params: object):
        super().__init__(template.format(**params))
        self.field, self.status = field_name, status
        self.template, self.params = template, params
