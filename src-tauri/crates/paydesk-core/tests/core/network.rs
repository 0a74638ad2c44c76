//! Networks as government departments have them: GOV.UK Pay reached only
//! through a web proxy (HTTP CONNECT), over HTTPS signed by a private
//! certificate authority that IT gives Paydesk through its policy file.
//!
//! Everything is on 127.0.0.1: the simulator behind a TLS front with a
//! certificate from a CA made here, and a CONNECT proxy that counts what it
//! tunnels and refuses anything but 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::*;
use paydesk_core::policy::Policy;

/// A certificate authority, and a server certificate it signed for 127.0.0.1.
struct Pki {
    ca_pem: String,
    server_cert: Vec<u8>,
    server_key: Vec<u8>,
}

fn pki(name: &str) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_cert: server.der().to_vec(),
        server_key: key.serialize_der(),
    }
}

/// HTTPS on 127.0.0.1 in front of the simulator's plain HTTP.
async fn tls_front(pki: &Pki, upstream: std::net::SocketAddr) -> std::net::SocketAddr {
    govpay::install_crypto_provider();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.server_cert.clone().into()],
            tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(pki.server_key.clone().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

/// An HTTP CONNECT proxy for 127.0.0.1 only, counting the tunnels it opens.
async fn connect_proxy() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counted = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let target = head
                    .strip_prefix("CONNECT ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .filter(|t| t.starts_with("127.0.0.1:"))
                    .map(str::to_owned);
                let Some(target) = target else {
                    let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(&target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (addr, tunnels)
}

fn policy_file(dir: &Path, proxy: std::net::SocketAddr, ca_pem: &str) -> Policy {
    let ca = dir.join("organisation-ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let path = dir.join("policy.toml");
    std::fs::write(
        &path,
        format!(
            "[network]\nproxy = \"http://{proxy}\"\nca_file = \"{}\"\n",
            ca.display()
        ),
    )
    .unwrap();
    let policy = Policy::load(&path);
    assert_eq!(policy.problem, None);
    policy
}

#[tokio::test]
async fn through_a_connect_proxy_to_https_signed_by_the_organisations_ca() {
    let s = setup(Role::Supervisor, |_| {}).await;
    let upstream: std::net::SocketAddr = s
        .sim
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let good = pki("Paydesk test department CA");
    let front = tls_front(&good, upstream).await;
    let (proxy, tunnels) = connect_proxy().await;
    let policy_dir = tempfile::tempdir().unwrap();
    s.core
        .set_policy(policy_file(policy_dir.path(), proxy, &good.ca_pem));

    let mut service = NewService::test_account(
        "Parking over HTTPS",
        &format!("https://127.0.0.1:{}", front.port()),
        Role::Supervisor,
        KEY,
    );
    service.name = "Parking over HTTPS".into();
    let added = s.core.services_add(service).await.unwrap();
    let pid = paid(&s, 2_000).await;
    let found = s
        .core
        .payments_search_live(
            &added.id,
            &PaymentQuery {
                text: Some(pid.clone()),
                ..PaymentQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    let done = s
        .core
        .refund(&added.id, &pid, 500, 2_000, why())
        .await
        .unwrap();
    assert_eq!(done.status, "success");
    assert_eq!(s.sim.control().payment(&pid).unwrap().refunds, 1);
    assert!(
        tunnels.load(Ordering::SeqCst) >= 1,
        "every request went through the proxy"
    );

    // The same network with a CA that did not sign the server's certificate:
    // nothing is sent, and the words say what is wrong.
    let other = pki("Some other CA");
    s.core
        .set_policy(policy_file(policy_dir.path(), proxy, &other.ca_pem));
    let err = s
        .core
        .refund(&added.id, &pid, 100, 1_500, why())
        .await
        .unwrap_err();
    match &err {
        CoreError::Api(govpay::Error::Untrusted(why)) => {
            assert!(
                why.contains("authority this computer does not trust"),
                "{why}"
            )
        }
        other => panic!("expected a certificate problem, got {other:?}"),
    }
    assert_eq!(
        s.sim.control().payment(&pid).unwrap().refunds,
        1,
        "not sent"
    );
    // Adding a service behind it fails the same way, naming the problem.
    let err = s
        .core
        .services_add(NewService::test_account(
            "Second",
            &format!("https://127.0.0.1:{}", front.port()),
            Role::Supervisor,
            KEY,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Api(govpay::Error::Untrusted(_))),
        "{err:?}"
    );
}
