//! Refusing a connection over the limit: MySQL's error 1040 sent in place of the handshake
//! (without SQLSTATE, as no capabilities are agreed yet), then the connection is closed.

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The packet sent to a connection beyond the limit.
pub(crate) fn too_many_connections() -> Vec<u8> {
    let message = b"Too many connections";
    let mut payload = vec![0xff];
    payload.extend_from_slice(&1040u16.to_le_bytes());
    payload.extend_from_slice(message);
    let len = u32::try_from(payload.len()).unwrap_or(0).to_le_bytes();
    let mut packet = vec![len[0], len[1], len[2], 0];
    packet.extend_from_slice(&payload);
    packet
}

/// Tells the client there are too many connections and closes; errors only mean it left.
pub(crate) async fn refuse(mut stream: TcpStream) {
    let _ = stream.write_all(&too_many_connections()).await;
    let _ = stream.shutdown().await;
}
