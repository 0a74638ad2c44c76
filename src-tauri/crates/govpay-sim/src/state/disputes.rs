//! Disputes raised against payments, and how they end.

use super::*;

impl State {
    pub fn raise_dispute_at(
        &mut self,
        idx: usize,
        reason: &'static str,
        due_in_days: i64,
        auto: Option<&'static str>,
    ) -> usize {
        self.before_change(idx);
        let now = self.clock.now();
        let dispute = SimDispute {
            id: self.ids.external_id(),
            payment: idx,
            amount: self.payments[idx].amount,
            fee: DISPUTE_FEE,
            status: "needs_response",
            reason,
            created: now,
            evidence_due: now + time::Duration::days(due_in_days),
            settled: None,
            auto_outcome: auto,
        };
        self.insert_dispute(dispute)
    }

    pub fn resolve_dispute_at(&mut self, d: usize, status: &'static str, at: OffsetDateTime) {
        let payment = self.disputes[d].payment;
        self.before_change(payment);
        let dispute = &mut self.disputes[d];
        dispute.status = status;
        dispute.settled = (status == "lost").then(|| at + time::Duration::days(3));
        if matches!(status, "won" | "lost") {
            self.open_disputes.remove(&d);
        }
    }

    pub fn dispute_index(&self, id: &str) -> Option<usize> {
        self.disputes.iter().position(|d| d.id == id)
    }
}
