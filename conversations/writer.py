"""Group commit: one writer per event loop stores the messages of every socket.

A socket's `message.send` becomes a request to this process's writer and waits
for its answer. The writer takes every request waiting at that moment (at most
MAX_BATCH) and stores them in one transaction in the database thread
(`actions.messages.post_messages`); requests that arrive while that commit runs
form the next batch. So an idle server writes a lone message at once (no timer
to wait for), and a busy one pays one transaction, one commit and one INSERT
for many messages instead of one each: the database's fixed cost per commit is
shared, and the single database thread spends less of its time per message.

Durability is unchanged: a request is answered only after its batch committed,
so the `message.ack` still means "stored". One bad message never fails the
others (see `post_messages`), and a failure of the whole call (the database
unreachable) answers each request of the batch with that error: the client
retries with the same client_id.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.db import database_sync_to_async

from conversations.actions.messages import MessageRequest, Outcome, PostResult, post_messages

logger = logging.getLogger(__name__)

# More than this waits for the next batch: keeps one transaction's row locks and
# the wait of the batch's first message bounded under a flood.
MAX_BATCH = 200


class Writer:
    """Collects message requests and stores them in batches, one batch at a time."""

    def __init__(self) -> None:
        self.pending: list[tuple[MessageRequest, asyncio.Future[PostResult]]] = []
        self.task: asyncio.Task | None = None
        # Figures for tests and the benchmark: batches written and their sizes.
        self.batches = 0
        self.largest = 0

    async def post(self, request: MessageRequest) -> PostResult:
        """Store one message (in a batch with whatever else is waiting) and
        return its result once the batch has committed; raises what
        `post_message` would raise for it alone."""
        future: asyncio.Future[PostResult] = asyncio.get_running_loop().create_future()
        self.pending.append((request, future))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                self.batches += 1
                self.largest = max(self.largest, len(batch))
                try:
                    outcomes: list[Outcome] = await database_sync_to_async(post_messages)(
                        [request for request, _future in batch]
                    )
                except Exception as exc:  # the whole call failed: nothing was stored
                    logger.warning("storing a batch of %d messages failed", len(batch))
                    outcomes = [exc] * len(batch)
                for (_request, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # the socket went away meanwhile
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self.task = None


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Writer] = weakref.WeakKeyDictionary()


def writer() -> Writer:
    """This event loop's writer."""
    loop = asyncio.get_running_loop()
    found = _writers.get(loop)
    if found is None:
        found = _writers[loop] = Writer()
    return found
