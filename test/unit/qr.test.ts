import { expect, test } from "bun:test";
import { generateQrCode, isValidQrCode, normaliseQrCode, QR_PATTERN } from "../../src/participants/qr";

test("generated codes carry at least 96 random bits in the scanner's alphabet", () => {
  const codes = new Set(Array.from({ length: 2000 }, generateQrCode));
  expect(codes.size).toBe(2000);
  for (const code of codes) {
    expect(code).toMatch(/^QR-[A-Z0-9]{20}$/);
    expect(code.length).toBeLessThanOrEqual(50);
    expect(isValidQrCode(code)).toBe(true);
  }
  // 20 characters from a 32-symbol alphabet: 100 bits.
  expect(20 * Math.log2(32)).toBeGreaterThanOrEqual(96);
  const used = new Set([...codes].join("").slice(0, 40_000).replaceAll("QR-", ""));
  expect(used.size).toBe(32);
});

test("legacy imported codes are accepted; malformed ones are not", () => {
  expect(isValidQrCode("QR-ABCDEF123456")).toBe(true);
  expect(isValidQrCode("QR-AB12-CD34")).toBe(true);
  expect(isValidQrCode("qr-abc")).toBe(false);
  expect(isValidQrCode("QR-")).toBe(false);
  expect(isValidQrCode(`QR-${"A".repeat(48)}`)).toBe(false);
  expect(isValidQrCode("QR-<script>")).toBe(false);
  expect(QR_PATTERN.test("XX-ABCDEF")).toBe(false);
});

test("scanner input is normalised", () => {
  expect(normaliseQrCode("  QR-abcdef123456\n")).toBe("QR-abcdef123456");
});
