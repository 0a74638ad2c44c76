//! The simulator over real HTTP on 127.0.0.1: every state transition and every
//! error case of API-NOTES, with each answer checked against the official spec.

mod common;

mod agreements;
mod binary;
mod disputes;
mod faults;
mod moto;
mod payments;
mod refunds;
mod search;
