// Open Recent remembers an etcd user's password only encrypted by the OS
// (Electron's safeStorage: Keychain on macOS, DPAPI on Windows, the secret
// service or KWallet on Linux). Where none is available the password is not
// kept at all, and opening the entry asks for it again.
//
// The async safeStorage calls are used: the installed Electron (45) marks the
// synchronous isEncryptionAvailable/encryptString/decryptString deprecated in
// their favour, and reads data the synchronous calls wrote.
import type { SafeStorage } from 'electron';

export interface PasswordVault {
  /** The password encrypted for recent.json (base64), or undefined when it must not be kept. */
  seal(password: string): Promise<string | undefined>;
  /** The password back, or undefined when it cannot be decrypted here (another user or machine, a reset keyring). */
  unseal(sealed: string): Promise<string | undefined>;
}

type SafeStorageApi = Pick<SafeStorage, 'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

export function safeStorageVault(safeStorage: SafeStorageApi, platform: NodeJS.Platform = process.platform): PasswordVault {
  const available = async () => {
    if (!(await safeStorage.isAsyncEncryptionAvailable())) return false;
    // Linux without a secret store encrypts with a hard-coded key (Electron's docs): that protects nothing.
    return !(platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text');
  };
  return {
    async seal(password) {
      try {
        if (!(await available())) return undefined;
        return (await safeStorage.encryptStringAsync(password)).toString('base64');
      } catch {
        return undefined; // the keyring refused (locked, dismissed prompt): ask next time instead
      }
    },
    async unseal(sealed) {
      try {
        if (!(await available())) return undefined;
        // `shouldReEncrypt` needs nothing here: an entry that opens is sealed afresh when Open Recent keeps it again.
        return (await safeStorage.decryptStringAsync(Buffer.from(sealed, 'base64'))).result;
      } catch {
        return undefined;
      }
    },
  };
}
