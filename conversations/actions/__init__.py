"""Every write to a conversation. One transaction each; the timeline row is
appended in the same transaction and realtime events go out after commit.

By subdomain: `lifecycle` (create, claim, transfer, leave, close) and
`messages` (messages, notes, read marks), `audit` (the staff audit log).
"""

from conversations.actions._common import announce, announce_change, record
from conversations.actions.audit import record_audit
from conversations.actions.lifecycle import (
    claim_conversation,
    close_by_professional,
    close_by_system,
    create_conversation,
    mark_resident_left,
    transfer_to_colleague,
    transfer_to_service,
)
from conversations.actions.messages import PostResult, add_note, mark_seen, post_message

__all__ = [
    "PostResult",
    "add_note",
    "announce",
    "announce_change",
    "claim_conversation",
    "close_by_professional",
    "close_by_system",
    "create_conversation",
    "mark_resident_left",
    "mark_seen",
    "post_message",
    "record",
    "record_audit",
    "transfer_to_colleague",
    "transfer_to_service",
]
