"""Explicit signals that actions send after commit, for other apps to react to
(e.g. surveys on close). Connect receivers in the listening app's AppConfig.ready()."""

from django.dispatch import Signal

# kwargs: conversation_id
conversation_closed = Signal()

# kwargs: conversation_id. A professional took a waiting conversation (also again
# after a transfer back to a queue).
conversation_claimed = Signal()
