import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactionKinds } from "../domain/redaction/redactionSettings.js";
import { redactText } from "../src/redaction/redactText.js";

/** The Luhn check digit that makes `body` + digit pass. */
function luhnDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

const visaBody = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }).map((ds) => `4${ds.join("")}`);
const grouped = (digits: string, sep: string) => digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
const filler = fc.constantFrom("Paid with", "Card on file:", "use", "the number", "Refund to");
const separator = fc.constantFrom("", " ", "-");

describe("redaction properties", () => {
  it("any Luhn-valid Visa number, grouped or not, is masked as [CARD] and no run of its digits survives", () => {
    fc.assert(
      fc.property(visaBody, separator, filler, (body, sep, before) => {
        const number = grouped(`${body}${luhnDigit(body)}`, sep);
        const { text, counts } = redactText(`${before} ${number} today`, ["card"]);
        expect(text).toBe(`${before} [CARD] today`);
        expect(counts).toEqual({ card: 1 });
      }),
    );
  });

  it("the same number with a wrong check digit is left as it is", () => {
    fc.assert(
      fc.property(visaBody, fc.integer({ min: 1, max: 9 }), separator, (body, off, sep) => {
        const number = grouped(`${body}${(luhnDigit(body) + off) % 10}`, sep);
        expect(redactText(`order ${number} shipped`, ["card"]).text).toBe(`order ${number} shipped`);
      }),
    );
  });

  it("an e-mail address in text is masked whole, whatever its local part and domain", () => {
    const local = fc.stringMatching(/^[a-z][a-z0-9._+-]{0,15}[a-z0-9]$/).filter((s) => !s.includes(".."));
    const domain = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]\.(com|org|de|io|example)$/);
    fc.assert(
      fc.property(local, domain, (l, d) => {
        const { text } = redactText(`write to ${l}@${d} soon`, [...redactionKinds]);
        expect(text).toBe("write to [EMAIL] soon");
      }),
    );
  });

  it("text without digits, '@' or ':' loses nothing but names", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z ,.]{0,80}$/), (plain) => {
        expect(redactText(plain, ["email", "phone", "card", "iban", "ip"]).text).toBe(plain);
      }),
    );
  });
});
