"""Zettle's Inventory API v1 (with the Product Library read): the decoders of its big answers
(one per payload, used by :class:`~zinv_tui.api.client.ZettleClient` and the backend alike) and
the backend the service runs on (:mod:`zinv_tui.api.v1.backend`)."""
