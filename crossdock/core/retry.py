"""The one retry policy of the program: transient errors only, exponential backoff with jitter, capped, and
a peer's Retry-After honoured. The outbox uses ``delay`` to schedule the next attempt in the store, so a
retry survives a restart; nothing sleeps in-process waiting to retry.
"""

from __future__ import annotations

import tenacity

from crossdock.core.configuration.config import RetryConfig
from crossdock.core.errors import TransientError


class _WaitRetryAfter(tenacity.wait.wait_base):
    """Backoff with jitter, or the peer's Retry-After when it asks for longer."""

    def __init__(self, backoff: tenacity.wait.wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = float(self.backoff(retry_state))
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            exc = outcome.exception()
            if isinstance(exc, TransientError) and exc.retry_after is not None:
                return max(wait, exc.retry_after)
        return wait


class RetryPolicy:
    def __init__(self, config: RetryConfig | None = None) -> None:
        self.config = config or RetryConfig()
        c = self.config
        self.wait = _WaitRetryAfter(
            tenacity.wait_exponential_jitter(multiplier=c.initial, max=c.maximum, exp_base=2, jitter=c.jitter)
        )

    def delay(self, attempt: int, error: TransientError | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based) before the next one."""
        state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempt
        if error is not None:
            state.set_exception((type(error), error, error.__traceback__))
        return self.wait(state)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.config.max_attempts
