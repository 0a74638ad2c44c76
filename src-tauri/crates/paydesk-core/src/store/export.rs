//! The finance export's rows: payments and refunds of a date range, newest
//! first, streamed so a million rows take little memory.

use async_trait::async_trait;
use futures_util::stream::{BoxStream, Stream, StreamExt};

use super::StoreError;

/// What an export of a range will hold, before its rows are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportShape {
    /// Payments and refunds in the range.
    pub rows: u64,
    /// Whether GOV.UK Pay reported a fee for any payment (the fee columns):
    /// whichever provider took it, not only Stripe.
    pub fees: bool,
    /// Whether any payment was taken by telephone (the MOTO column).
    pub moto: bool,
    /// Every metadata key the payments carry, in order.
    pub metadata_keys: Vec<String>,
}

/// One payment, or one refund with its payment's details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRow {
    pub refund: bool,
    pub created_ms: i64,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    /// In pence; a refund's is negative.
    pub amount: i64,
    pub card_brand: Option<String>,
    pub cardholder_name: Option<String>,
    pub expiry: Option<String>,
    pub last4: Option<String>,
    pub status: String,
    pub finished: bool,
    pub code: Option<String>,
    pub message: Option<String>,
    pub provider_id: Option<String>,
    pub payment_id: Option<String>,
    /// Who made a refund, when this desktop's record says.
    pub issued_by: Option<String>,
    pub corporate_surcharge: Option<i64>,
    pub total_amount: Option<i64>,
    pub wallet_type: Option<String>,
    pub fee: Option<i64>,
    pub net_amount: Option<i64>,
    pub card_type: Option<String>,
    pub moto: Option<bool>,
    pub provider: Option<String>,
    pub three_ds_required: Option<bool>,
    /// The payment's metadata object, as JSON.
    pub metadata: Option<String>,
    /// Why a refund was made (a `RefundReason` code), when the record says.
    pub reason: Option<String>,
    pub reason_note: Option<String>,
}

#[async_trait]
pub trait ExportStore {
    async fn export_shape(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<ExportShape, StoreError>;
    /// These payments' rows (no refunds), in the order given; a payment the
    /// cache does not hold is left out.
    async fn export_payments(
        &self,
        service_id: &str,
        payment_ids: &[String],
    ) -> Result<Vec<ExportRow>, StoreError>;
    /// Payments and refunds created in `[from_ms, to_ms)`, newest first.
    fn export_rows<'a>(
        &'a self,
        service_id: &'a str,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxStream<'a, Result<ExportRow, StoreError>>;
}

/// Payments and refunds, each read newest first, merged into one stream
/// newest first: nothing is held to be sorted (a million rows would be).
pub(crate) fn newest_first<'a>(
    payments: impl Stream<Item = Result<ExportRow, StoreError>> + Send + 'a,
    refunds: impl Stream<Item = Result<ExportRow, StoreError>> + Send + 'a,
) -> BoxStream<'a, Result<ExportRow, StoreError>> {
    let (payments, refunds) = (Box::pin(payments.peekable()), Box::pin(refunds.peekable()));
    futures_util::stream::unfold((payments, refunds), |(mut p, mut r)| async move {
        let newer =
            |x: &Result<ExportRow, StoreError>| x.as_ref().map_or(i64::MAX, |x| x.created_ms);
        let payment_first = match (p.as_mut().peek().await, r.as_mut().peek().await) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => newer(a) >= newer(b),
        };
        let next = if payment_first {
            p.next().await
        } else {
            r.next().await
        }?;
        Some((next, (p, r)))
    })
    .boxed()
}
