// What the Open etcd Cluster dialog sends, and the checks it passes before
// the app tries to connect: the endpoints and namespace (the CLI's rules),
// the TLS files (present, readable, PEM, a key that belongs to its
// certificate) and the user's password. Every refusal is one sentence the
// dialog shows above the form, with what was typed kept.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { checkNamespace, DEFAULT_NAMESPACE, parseEndpoints } from '../cli/store-target.ts';
import type { EtcdPlace } from './place.ts';

const field = z.string().max(4096).default('');

/** The form's fields as they arrive in the refused navigation's query (all optional, all text). */
export const etcdFormSchema = z.object({
  endpoints: field,
  namespace: field,
  ca: field,
  cert: field,
  key: field,
  user: z.string().max(256).default(''),
  password: z.string().max(1024).default(''),
});

export type EtcdForm = z.infer<typeof etcdFormSchema>;

export const TLS_FIELDS = ['ca', 'cert', 'key'] as const;
export type TlsField = (typeof TLS_FIELDS)[number];

export const TLS_LABELS: Record<TlsField, string> = { ca: 'CA certificate', cert: 'Client certificate', key: 'Client key' };

/** A refusal the dialog shows as it is: one sentence naming the field and what to fix. */
class FormError extends Error {}

/** The form filled in with a place's values (never its password: the page does not hold it). */
export function formOf(place?: Omit<EtcdPlace, 'password'>): EtcdForm {
  return {
    endpoints: place?.endpoints.join(',') ?? '',
    namespace: place?.namespace ?? DEFAULT_NAMESPACE,
    ca: place?.tls?.ca ?? '',
    cert: place?.tls?.cert ?? '',
    key: place?.tls?.key ?? '',
    user: place?.username ?? '',
    password: '',
  };
}

/**
 * The cluster a submitted form names; else throws an error whose message says what to fix
 * (the CLI's own messages for the endpoints and the namespace).
 * `kept` is a password typed earlier for the same user: the form is shown
 * again without it, and an empty password field means "keep it".
 */
export function checkEtcdForm(form: EtcdForm, kept?: { username: string; password: string }): EtcdPlace {
  const paths = Object.fromEntries(TLS_FIELDS.map((f) => [f, form[f].trim()]).filter(([, v]) => v)) as Partial<Record<TlsField, string>>;
  const tlsGiven = Object.keys(paths).length > 0;
  if (form.endpoints.split(',').every((part) => !part.trim()))
    throw new FormError('Give at least one endpoint URL, e.g. https://10.0.0.5:2379');
  // The CLI's message for this names its flags; here the user has fields of its own.
  if (form.endpoints.includes('@')) throw new FormError('Give the user and the password in their own fields, not in the endpoint URL.');
  const endpoints = parseEndpoints(form.endpoints, tlsGiven);
  const namespace = checkNamespace(form.namespace.trim() || DEFAULT_NAMESPACE);

  if (tlsGiven) checkTls(paths, endpoints);
  const place: EtcdPlace = { kind: 'etcd', endpoints, namespace };
  if (tlsGiven) place.tls = paths;

  const username = form.user.trim();
  const password = form.password || (kept && kept.username === username ? kept.password : '');
  if (username && !password) throw new FormError(`Enter the password of the etcd user ${JSON.stringify(username)}.`);
  if (!username && form.password) throw new FormError('A password needs its user name: fill in User, or clear Password.');
  if (username) {
    place.username = username;
    place.password = password;
  }
  return place;
}

function checkTls(paths: Partial<Record<TlsField, string>>, endpoints: string[]): void {
  if (Boolean(paths.cert) !== Boolean(paths.key))
    throw new FormError('The client certificate and the client key go together: give both, or neither.');
  // The client verifies the cluster's certificate against this CA; without it the client certificate would be ignored.
  if (paths.cert && !paths.ca)
    throw new FormError("A client certificate needs the CA certificate too: the CA (PEM) that signed the cluster's certificate.");
  // With a CA given, etcd3 speaks TLS to every endpoint whatever its scheme: an http:// URL would only mislead.
  const plain = endpoints.find((e) => e.startsWith('http://'));
  if (plain)
    throw new FormError(
      `${plain} is plain HTTP, but TLS files are given: use ${plain.replace('http://', 'https://')}, or clear the TLS files.`,
    );
  if (paths.ca) certificate(paths.ca, TLS_LABELS.ca);
  if (paths.cert && paths.key) {
    const cert = certificate(paths.cert, TLS_LABELS.cert);
    const key = privateKey(paths.key);
    if (!cert.checkPrivateKey(key))
      throw new FormError(`${TLS_LABELS.key}: ${paths.key} is not the key of the client certificate ${paths.cert}.`);
  }
}

function certificate(path: string, label: string): X509Certificate {
  const text = readPem(path, label);
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new FormError(`${label}: ${path} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block).`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(text);
  } catch (err) {
    throw new FormError(`${label}: ${path} is not a readable certificate (${(err as Error).message}).`);
  }
  if (Date.parse(cert.validTo) < Date.now()) throw new FormError(`${label}: ${path} expired on ${cert.validTo}.`);
  return cert;
}

function privateKey(path: string): KeyObject {
  const label = TLS_LABELS.key;
  const text = readPem(path, label);
  // grpc-js has no way to ask for a key's passphrase.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new FormError(`${label}: ${path} is protected by a passphrase: give an unencrypted copy (openssl pkey -in KEY -out PLAIN).`);
  if (!/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/.test(text))
    throw new FormError(`${label}: ${path} holds no unencrypted PEM private key (a "-----BEGIN PRIVATE KEY-----" block).`);
  try {
    return createPrivateKey(text);
  } catch (err) {
    throw new FormError(`${label}: ${path} is not a readable private key (${(err as Error).message}).`);
  }
}

function readPem(path: string, label: string): string {
  if (!isAbsolute(path)) throw new FormError(`${label}: give the full path (or use Choose…), not ${JSON.stringify(path)}.`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code;
    throw new FormError(`${label}: cannot read ${path} (${why ?? (err as Error).message}).`);
  }
}
