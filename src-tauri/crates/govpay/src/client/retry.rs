//! When to send a request again: one small pure function, so the rule that
//! keeps money from moving twice can be read in one place and tested by table.

/// What a request does, as far as repeating it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A read: repeating it changes nothing.
    Read,
    /// A POST that moves money or changes state: once it may have reached
    /// GOV.UK Pay, it is never sent again.
    Change,
}

/// What came back from one try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// An HTTP answer with this status (its body fully read).
    Answer(u16),
    /// The connection was never made: nothing left this machine.
    NotSent,
    /// The request may have been sent, and no whole answer came (a timeout,
    /// a dropped connection, a body cut off).
    Lost,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Hand the answer to the caller (a success, or a refusal to decode).
    Finish,
    /// Safe to send again after a backoff; after at least a second when
    /// GOV.UK Pay said to slow down.
    Retry { slow_down: bool },
    /// Nothing changed, but no answer came: a network error.
    Unreachable,
    /// It may have been done: the outcome is unknown until GOV.UK Pay is read.
    Unknown,
}

/// The decision for one try. What to do when retries or time run out is the
/// caller's: a retry not taken is [`Next::Finish`] for an answer and
/// [`Next::Unreachable`] otherwise.
pub(crate) fn decide(kind: Kind, seen: Seen) -> Next {
    match (kind, seen) {
        // 429 P0900: the request was not processed, whatever it was.
        (_, Seen::Answer(429)) => Next::Retry { slow_down: true },
        (Kind::Read, Seen::Answer(500..=599)) => Next::Retry { slow_down: false },
        // GOV.UK Pay's own 5xx ("check before trying again") or a proxy's
        // 502/503/504 page: it may have been done.
        (Kind::Change, Seen::Answer(500..=599)) => Next::Unknown,
        (_, Seen::Answer(_)) => Next::Finish,
        (Kind::Read, Seen::NotSent | Seen::Lost) => Next::Retry { slow_down: false },
        (Kind::Change, Seen::NotSent) => Next::Unreachable,
        (Kind::Change, Seen::Lost) => Next::Unknown,
    }
}

/// What a retry that was wanted but not taken (out of tries or of time)
/// turns into.
pub(crate) fn give_up(seen: Seen) -> Next {
    match seen {
        Seen::Answer(_) => Next::Finish,
        Seen::NotSent | Seen::Lost => Next::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::Kind::{Change, Read};
    use super::Next::{Finish, Retry, Unknown, Unreachable};
    use super::Seen::{Answer, Lost, NotSent};
    use super::*;

    #[test]
    fn the_retry_table() {
        let slow = Retry { slow_down: true };
        let again = Retry { slow_down: false };
        let table = [
            (Read, Answer(200), Finish),
            (Read, Answer(404), Finish),
            (Read, Answer(422), Finish),
            (Read, Answer(401), Finish),
            (Read, Answer(429), slow),
            (Read, Answer(500), again),
            (Read, Answer(502), again),
            (Read, Answer(503), again),
            (Read, Answer(504), again),
            (Read, NotSent, again),
            (Read, Lost, again),
            (Change, Answer(200), Finish),
            (Change, Answer(201), Finish),
            (Change, Answer(202), Finish),
            (Change, Answer(204), Finish),
            (Change, Answer(400), Finish),
            (Change, Answer(412), Finish),
            (Change, Answer(429), slow),
            // Create payment P0198, refund P0698 …: never sent again.
            (Change, Answer(500), Unknown),
            (Change, Answer(502), Unknown),
            (Change, Answer(503), Unknown),
            (Change, Answer(504), Unknown),
            (Change, Lost, Unknown),
            (Change, NotSent, Unreachable),
        ];
        for (kind, seen, want) in table {
            assert_eq!(decide(kind, seen), want, "{kind:?} {seen:?}");
        }
    }

    #[test]
    fn a_change_is_only_ever_repeated_after_a_429() {
        for status in 100..600 {
            let next = decide(Change, Answer(status));
            assert_eq!(
                matches!(next, Retry { .. }),
                status == 429,
                "{status}: {next:?}"
            );
        }
        assert_eq!(decide(Change, Lost), Unknown);
    }

    #[test]
    fn a_retry_not_taken_hands_back_the_answer_or_says_unreachable() {
        assert_eq!(give_up(Answer(503)), Finish);
        assert_eq!(give_up(Answer(429)), Finish);
        assert_eq!(give_up(Lost), Unreachable);
        assert_eq!(give_up(NotSent), Unreachable);
    }
}
