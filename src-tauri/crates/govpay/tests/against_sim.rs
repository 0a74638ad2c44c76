//! The client against the simulator over real HTTP.

use govpay::client::PaymentSearch;
use govpay::{ApiKey, Client, Error, PaymentId};
use govpay_sim::{SimConfig, Simulator};

fn client(sim: &Simulator, key: &str) -> Client {
    Client::builder(ApiKey::new(key).unwrap())
        .base_url(sim.base_url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_good_key_passes_the_check_and_a_bad_one_is_unauthorized() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    client(&sim, "api_test_sandbox_key")
        .check_key()
        .await
        .unwrap();
    let err = client(&sim, "api_test_nope").check_key().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized), "{err:?}");
}

#[tokio::test]
async fn an_unknown_payment_is_404_p0200() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let id = PaymentId::parse("00000000000000000000000000").unwrap();
    let err = client(&sim, "api_test_sandbox_key")
        .payments()
        .get(&id)
        .await
        .unwrap_err();
    match err {
        Error::Api(body) => {
            assert_eq!(body.status, 404);
            assert_eq!(body.code(), Some("P0200"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn search_reads_an_empty_page() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let page = client(&sim, "api_test_sandbox_key")
        .payments()
        .search(&PaymentSearch::default())
        .await
        .unwrap();
    assert_eq!((page.total, page.count, page.page), (0, 0, 1));
    assert!(page.links.next_page.is_none());
}
