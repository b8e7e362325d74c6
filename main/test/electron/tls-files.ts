// Real PEM files for the etcd dialog's tests, made with openssl in `dir`: a
// CA, a server certificate for 127.0.0.1 and a client certificate signed by
// it, and the wrong files a user may pick (another key, an expired
// certificate, a passphrase-protected key, a file that is not PEM).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A key that belongs to no certificate here. */
  otherKey: string;
  /** A client certificate signed by the CA that expired yesterday. */
  expiredCert: string;
  /** clientKey, protected by a passphrase. */
  encryptedKey: string;
  notPem: string;
}

export function makeTlsFiles(dir: string): TlsFiles {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lockstep-test-ca');
  const sign = (name: string, ext: string, days: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
    );
  };
  sign('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n', '2');
  sign('client', 'extendedKeyUsage=clientAuth\n', '2');
  sign('expired', 'extendedKeyUsage=clientAuth\n', '-1');
  openssl('genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key');
  openssl('pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret', '-out', 'encrypted.key');
  writeFileSync(join(dir, 'notes.txt'), 'not a certificate\n');
  const f = (name: string) => join(dir, name);
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    otherKey: f('other.key'),
    expiredCert: f('expired.pem'),
    encryptedKey: f('encrypted.key'),
    notPem: f('notes.txt'),
  };
}
