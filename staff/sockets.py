"""The staff socket's connection row, kept by the consumer's connect and
disconnect (see conversations.connections for why rows carry the process)."""

from conversations import connections
from staff import actions


async def track_staff(consumer) -> None:
    """The consumer hook for an accepted staff socket."""
    user = consumer.scope["user"]
    await connections.track(
        connections.staff_sockets,
        consumer,
        user.pk,
        lambda: actions.socket_opened(user=user, channel_name=consumer.channel_name),
    )


async def untrack_staff(consumer) -> None:
    """The consumer hook for a closed staff socket; never raises."""
    user = consumer.scope["user"]
    await connections.untrack(
        connections.staff_sockets,
        consumer,
        lambda: actions.socket_closed(user=user, channel_name=consumer.channel_name),
    )
