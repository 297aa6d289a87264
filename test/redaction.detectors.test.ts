import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { maskSpans, resolveOverlaps } from "../domain/redaction/maskSpans.js";
import { parseRedactionSettings, redactionKinds } from "../domain/redaction/redactionSettings.js";
import { detectCards, detectEmails, detectIbans, detectIps, detectNames, detectPhones } from "../src/redaction/personalDataDetectors.js";
import { redactText } from "../src/redaction/redactText.js";

const found = (spans: readonly { start: number; end: number }[], text: string) => spans.map((s) => text.slice(s.start, s.end));

describe("personal data detectors", () => {
  it("finds e-mail addresses and leaves handles and versions alone", () => {
    const text = "Write to jane.doe+work@example.co.uk or ops@corp.io, not @jane or v1.2@3";
    expect(found(detectEmails(text), text)).toEqual(["jane.doe+work@example.co.uk", "ops@corp.io"]);
    expect(detectEmails("meet me @ the cafe at 5.30")).toEqual([]);
  });

  it("finds card numbers that pass the Luhn check, grouped or not", () => {
    const text = "Visa 4111 1111 1111 1111 and MC 5500-0000-0000-0004 and 378282246310005";
    expect(found(detectCards(text), text)).toEqual(["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"]);
  });

  it("does not take a 16-digit number failing Luhn for a card", () => {
    expect(detectCards("order 4111 1111 1111 1112 shipped")).toEqual([]);
    expect(detectCards("tracking 1234567890123456")).toEqual([]);
  });

  it("finds IBANs with a valid mod-97 checksum, with or without spaces, stopping before a trailing word", () => {
    const text = "Pay DE89 3704 0044 0532 0130 00 NOW or GB82WEST12345698765432.";
    expect(found(detectIbans(text), text)).toEqual(["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"]);
  });

  it("does not take an IBAN with a wrong checksum for an IBAN", () => {
    expect(detectIbans("Pay DE89 3704 0044 0532 0130 01 today")).toEqual([]);
    expect(detectIbans("GB00WEST12345698765432")).toEqual([]);
  });

  it("finds IPv4 and IPv6 addresses and leaves versions and times alone", () => {
    const text = "from 192.168.1.20 and 2001:db8::8a2e:370:7334, release 1.2.3, at 12:30:45, bad 999.1.1.1";
    expect(found(detectIps(text), text).sort()).toEqual(["192.168.1.20", "2001:db8::8a2e:370:7334"]);
    expect(found(detectIps("The gateway is 10.0.0.1."), "The gateway is 10.0.0.1.")).toEqual(["10.0.0.1"]);
    expect(detectIps("route 10.0.0.0/8 and build 1.2.3.4.5")).toEqual([]);
  });

  it("finds phone numbers in international and national formats but not short numbers", () => {
    const text = "Call +44 20 7946 0958 or (415) 555-2671; room 4521, year 2024";
    expect(found(detectPhones(text), text)).toEqual(["+44 20 7946 0958", "(415) 555-2671"]);
    expect(detectPhones("It costs 1500 dollars and weighs 12 kg")).toEqual([]);
  });

  it("finds person names, keeping an honorific outside the span", () => {
    const text = "I met Sarah Connor and Dr. Alice Smith yesterday.";
    expect(found(detectNames(text), text)).toEqual(["Sarah Connor", "Alice Smith"]);
    expect(detectNames("The weather in the office was fine.")).toEqual([]);
  });
});

describe("masking", () => {
  it("replaces each span with its typed placeholder and counts the kinds, never keeping values", () => {
    const { text, counts } = redactText("Mail jane@example.com, card 4111111111111111, from 10.0.0.1, Sarah Connor", [...redactionKinds]);
    expect(text).toBe("Mail [EMAIL], card [CARD], from [IP], [NAME]");
    expect(counts).toEqual({ email: 1, card: 1, ip: 1, name: 1 });
  });

  it("masks only the kinds asked for", () => {
    expect(redactText("jane@example.com from 10.0.0.1", ["ip"]).text).toBe("jane@example.com from [IP]");
  });

  it("lets the checksum-backed kind win an overlap (an IBAN over a phone-like run)", () => {
    expect(redactText("IBAN GB82WEST12345698765432", ["phone", "iban"]).text).toBe("IBAN [IBAN]");
  });

  it("never leaves overlapping spans, and masking only shortens or keeps text outside spans", () => {
    const span = fc.record({ kind: fc.constantFrom(...redactionKinds), start: fc.nat(40), len: fc.nat(10) }).map((s) => ({ kind: s.kind, start: s.start, end: s.start + s.len }));
    fc.assert(
      fc.property(fc.string({ minLength: 50, maxLength: 60 }), fc.array(span, { maxLength: 8 }), (text, spans) => {
        const kept = resolveOverlaps(spans);
        for (let i = 1; i < kept.length; i += 1) expect(kept[i]!.start).toBeGreaterThanOrEqual(kept[i - 1]!.end);
        const { text: masked, counts } = maskSpans(text, spans);
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(kept.length);
        expect(masked.startsWith(text.slice(0, kept[0]?.start ?? text.length))).toBe(true);
      }),
    );
  });
});

describe("redaction settings", () => {
  it("fills defaults and rejects unknown kinds or modes with the field named", () => {
    expect(parseRedactionSettings({ enabled: true })).toEqual({ ok: true, settings: { enabled: true, keepOriginal: "drop", kinds: [...redactionKinds], metadata: false } });
    expect(parseRedactionSettings({ enabled: true, kinds: ["ssn"] })).toMatchObject({ ok: false, field: "kinds" });
    expect(parseRedactionSettings({ enabled: true, keepOriginal: "keep" })).toMatchObject({ ok: false, field: "keepOriginal" });
    expect(parseRedactionSettings({})).toMatchObject({ ok: false, field: "enabled" });
  });
});
