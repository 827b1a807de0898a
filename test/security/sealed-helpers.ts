// What the sealed-format tests share: @noble/ciphers' AES-GCM with its decryptions counted (the
// sealed engine off workerd), and the count of distinct salts, IVs and ciphertexts over many seals.

import type * as Aes from "@noble/ciphers/aes.js";

/** Decryptions @noble/ciphers' AES-GCM has run since the test file loaded, once {@link countingAes} replaces it. */
export const nobleDecrypt = { calls: 0 };

/**
 * `real` with `gcm` wrapped to count decryptions in {@link nobleDecrypt}. For a vi.mock factory:
 * `vi.mock("@noble/ciphers/aes.js", async (original) => (await import("./sealed-helpers.ts")).countingAes(await original()))`.
 */
export function countingAes(real: typeof Aes): typeof Aes {
  function gcm(key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array): ReturnType<typeof real.gcm> {
    const cipher = real.gcm(key, nonce, aad);
    return {
      encrypt: (data: Uint8Array) => cipher.encrypt(data),
      decrypt: (data: Uint8Array) => {
        nobleDecrypt.calls++;
        return cipher.decrypt(data);
      },
    } as ReturnType<typeof real.gcm>;
  }
  return { ...real, gcm } as typeof Aes;
}

/** Seals `n` times with `seal` (a sealed token `v1.kid.salt.iv.body`): how many distinct salts, IVs and bodies came out. */
export async function distinctSealParts(seal: () => string | Promise<string>, n: number): Promise<{ salts: number; ivs: number; bodies: number }> {
  const ivs = new Set<string>();
  const salts = new Set<string>();
  const bodies = new Set<string>();
  for (let i = 0; i < n; i++) {
    const [, , salt, iv, body] = (await seal()).split(".");
    ivs.add(iv!);
    salts.add(salt!);
    bodies.add(body!);
  }
  return { salts: salts.size, ivs: ivs.size, bodies: bodies.size };
}
