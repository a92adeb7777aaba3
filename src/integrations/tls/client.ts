/** TLS certificate expiry of an endpoint (the check is about expiry, so trust is not required). */
import { connect } from 'node:tls';

export interface CertInfo {
  subject: string;
  validTo: Date;
  daysLeft: number;
}

export function fetchCertificate(host: string, port: number, timeoutMs: number, now = new Date()): Promise<CertInfo> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: /^[\d.]+$/.test(host) ? undefined : host, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      socket.end();
      if (!cert || !cert.valid_to) return reject(new Error('server sent no certificate'));
      const validTo = new Date(cert.valid_to);
      resolve({ subject: String(cert.subject?.CN ?? host), validTo, daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000) });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
