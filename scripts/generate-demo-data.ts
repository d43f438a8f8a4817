/**
 * Writes the demo sources under data/ (see data/README.md): customer
 * profiles (JSON), industries and countries (CSV) and free-text notes.
 * Deterministic: the same script always writes the same bytes, so the
 * generated files are committed and a re-run shows no diff.
 *
 *   node --import tsx scripts/generate-demo-data.ts
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COUNTRIES, INDUSTRIES } from '../src/source/populate/catalog.ts';
import { customerProfile } from '../src/source/populate/synthetic-customers.ts';
import { createRng, type Rng } from '../src/source/populate/prng.ts';

/** The seed `populate` and `npm start` use: customer N here is customer_id N in the demo database. */
const POPULATE_SEED = 42;
const DEMO_CUSTOMERS = 2000;
/** Seed of everything populate does not know (segments, notes...). */
const DATA_SEED = 20_251;
const NOTED_CUSTOMERS = 300;

const DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

const INDUSTRY_INFO: Record<string, { sector: string; riskTier: 'low' | 'medium' | 'high' }> = {
  Manufacturing: { sector: 'Industrials', riskTier: 'medium' },
  Wholesale: { sector: 'Trade', riskTier: 'medium' },
  Retail: { sector: 'Consumer', riskTier: 'medium' },
  Logistics: { sector: 'Industrials', riskTier: 'medium' },
  Software: { sector: 'Technology', riskTier: 'low' },
  'Professional Services': { sector: 'Services', riskTier: 'low' },
  Construction: { sector: 'Industrials', riskTier: 'high' },
  Healthcare: { sector: 'Health', riskTier: 'low' },
  'Food & Beverage': { sector: 'Consumer', riskTier: 'medium' },
  Energy: { sector: 'Energy', riskTier: 'medium' },
  Agriculture: { sector: 'Primary', riskTier: 'high' },
  'Financial Services': { sector: 'Financials', riskTier: 'medium' },
  Media: { sector: 'Communications', riskTier: 'medium' },
  Hospitality: { sector: 'Consumer', riskTier: 'high' },
  Telecommunications: { sector: 'Communications', riskTier: 'low' },
  Automotive: { sector: 'Industrials', riskTier: 'medium' },
  Textiles: { sector: 'Consumer', riskTier: 'high' },
  Pharmaceuticals: { sector: 'Health', riskTier: 'low' },
};

const COUNTRY_INFO: Record<string, { name: string; region: string; currency: string }> = {
  US: { name: 'United States', region: 'North America', currency: 'USD' },
  CA: { name: 'Canada', region: 'North America', currency: 'CAD' },
  MX: { name: 'Mexico', region: 'Latin America', currency: 'MXN' },
  BR: { name: 'Brazil', region: 'Latin America', currency: 'BRL' },
  AR: { name: 'Argentina', region: 'Latin America', currency: 'ARS' },
  CL: { name: 'Chile', region: 'Latin America', currency: 'CLP' },
  CO: { name: 'Colombia', region: 'Latin America', currency: 'COP' },
  GB: { name: 'United Kingdom', region: 'Europe', currency: 'GBP' },
  IE: { name: 'Ireland', region: 'Europe', currency: 'EUR' },
  ES: { name: 'Spain', region: 'Europe', currency: 'EUR' },
  FR: { name: 'France', region: 'Europe', currency: 'EUR' },
  DE: { name: 'Germany', region: 'Europe', currency: 'EUR' },
  NL: { name: 'Netherlands', region: 'Europe', currency: 'EUR' },
  IT: { name: 'Italy', region: 'Europe', currency: 'EUR' },
  PL: { name: 'Poland', region: 'Europe', currency: 'PLN' },
  SE: { name: 'Sweden', region: 'Europe', currency: 'SEK' },
  ZA: { name: 'South Africa', region: 'Africa', currency: 'ZAR' },
  IN: { name: 'India', region: 'Asia Pacific', currency: 'INR' },
  SG: { name: 'Singapore', region: 'Asia Pacific', currency: 'SGD' },
  JP: { name: 'Japan', region: 'Asia Pacific', currency: 'JPY' },
  AU: { name: 'Australia', region: 'Asia Pacific', currency: 'AUD' },
};

const SEGMENTS = [
  { name: 'enterprise', share: 0.1, creditLimits: [250_000, 500_000, 1_000_000] },
  { name: 'mid-market', share: 0.3, creditLimits: [50_000, 100_000, 150_000] },
  { name: 'smb', share: 0.6, creditLimits: [5_000, 10_000, 25_000] },
] as const;
const PAYMENT_TERMS_DAYS = [15, 30, 30, 30, 45, 60, 90] as const;
const ACCOUNT_MANAGERS = ['Ana Ruiz', 'Ben Carter', 'Chloé Martin', 'Dev Patel', 'Erin Walsh', 'Femi Adeyemi', 'Greta Holm', 'Hiro Sato'] as const;
const TAGS = ['preferred', 'export', 'public-sector', 'new-account', 'multi-entity', 'seasonal'] as const;

// Phrases a job turns into flags; the other sentences never contain them.
const FLAG_SENTENCES = {
  paymentDelayed: [
    'Payment delayed again; finance promised settlement by month end.',
    'Second reminder sent: payment delayed by more than 30 days.',
    'Treasury reports payment delayed because of a bank migration.',
  ],
  disputedInvoice: [
    'Customer raised a disputed invoice over delivered quantities.',
    'One disputed invoice pending with procurement, credit note under review.',
    'Disputed invoice escalated to legal after three weeks without answer.',
  ],
  vip: ['VIP account: route every ticket to the account manager.', 'Treat as VIP, strategic partner for the next fiscal year.'],
} as const;
const NEUTRAL_SENTENCES = [
  'Quarterly business review held, no open issues.',
  'Asked for consolidated monthly statements instead of one invoice per order.',
  'New billing contact from next quarter, details updated in the CRM.',
  'Requested PO numbers on every invoice.',
  'Prefers electronic invoices in PDF and UBL.',
  'Volume expected to grow after the new warehouse opens.',
  'Switched to direct debit for recurring services.',
] as const;

async function main(): Promise<void> {
  assertCatalogCovered();
  const rng = createRng(DATA_SEED);
  await mkdir(DATA_DIR, { recursive: true });
  await writeFile(join(DATA_DIR, 'industries.csv'), industriesCsv());
  await writeFile(join(DATA_DIR, 'countries.csv'), countriesCsv());
  await writeFile(join(DATA_DIR, 'customer-profiles.json'), customerProfilesJson(rng));
  // Remove stale notes, so a change of NOTED_CUSTOMERS leaves exactly the new set.
  await rm(join(DATA_DIR, 'notes'), { recursive: true, force: true });
  await mkdir(join(DATA_DIR, 'notes'));
  const noted = pickCustomers(rng, NOTED_CUSTOMERS);
  for (const customerId of noted) await writeFile(join(DATA_DIR, 'notes', `customer-${customerId}.txt`), customerNote(rng, customerId));
  process.stdout.write(`wrote ${DEMO_CUSTOMERS} customer profiles, ${INDUSTRIES.length} industries, ${COUNTRIES.length} countries, ${noted.length} notes to ${DATA_DIR}\n`);
}

/** Fails when populate learns an industry or country that the reference CSVs do not describe. */
function assertCatalogCovered(): void {
  const missing = [...INDUSTRIES.map((i) => i.name).filter((n) => !INDUSTRY_INFO[n]), ...COUNTRIES.map((c) => c.code).filter((c) => !COUNTRY_INFO[c])];
  if (missing.length > 0) throw new Error(`no reference data for ${missing.join(', ')}: add them to scripts/generate-demo-data.ts`);
}

function industriesCsv(): string {
  const rows = INDUSTRIES.map((industry) => {
    const info = INDUSTRY_INFO[industry.name]!;
    return [industry.name, info.sector, info.riskTier];
  });
  return csv(['industry', 'sector', 'risk_tier'], rows);
}

function countriesCsv(): string {
  const rows = COUNTRIES.map((country) => {
    const info = COUNTRY_INFO[country.code]!;
    return [country.code, info.name, info.region, info.currency];
  });
  return csv(['country', 'country_name', 'region', 'currency'], rows);
}

function customerProfilesJson(rng: Rng): string {
  const lines: string[] = [];
  for (let index = 0; index < DEMO_CUSTOMERS; index++) {
    const customerId = index + 1;
    // Only name, country and industry are used: they depend on the seed and index alone, not on populate's clock.
    const { name, country, industry } = customerProfile(POPULATE_SEED, index, DEMO_CUSTOMERS, 0, BigInt(customerId));
    const segment = pickSegment(rng.next());
    const profile = {
      customer_id: customerId,
      name,
      country,
      industry,
      segment: segment.name,
      credit_limit_usd: pick(rng, segment.creditLimits),
      payment_terms_days: pick(rng, PAYMENT_TERMS_DAYS),
      account_manager: pick(rng, ACCOUNT_MANAGERS),
      customer_since: isoDate(2012 + rng.int(13), 1 + rng.int(12), 1 + rng.int(28)),
      contact: { email: `billing${customerId}@${domainOf(name)}.example`, preferred_channel: pick(rng, ['email', 'phone', 'portal'] as const) },
      tags: TAGS.filter(() => rng.next() < 0.15),
    };
    lines.push(JSON.stringify(profile));
  }
  // One record per line inside the array: valid JSON that still diffs line by line.
  return `[\n${lines.join(',\n')}\n]\n`;
}

function customerNote(rng: Rng, customerId: number): string {
  const sentences: string[] = [];
  if (rng.next() < 0.35) sentences.push(pick(rng, FLAG_SENTENCES.paymentDelayed));
  if (rng.next() < 0.25) sentences.push(pick(rng, FLAG_SENTENCES.disputedInvoice));
  if (rng.next() < 0.12) sentences.push(pick(rng, FLAG_SENTENCES.vip));
  for (let n = 1 + rng.int(2); n > 0; n--) sentences.push(pick(rng, NEUTRAL_SENTENCES));
  shuffle(rng, sentences);
  const date = isoDate(2025, 1 + rng.int(12), 1 + rng.int(28));
  return `Customer ${customerId}, note of ${date} by ${pick(rng, ACCOUNT_MANAGERS)}\n\n${sentences.join('\n')}\n`;
}

function pickCustomers(rng: Rng, count: number): number[] {
  const ids = Array.from({ length: DEMO_CUSTOMERS }, (_, i) => i + 1);
  shuffle(rng, ids);
  return ids.slice(0, count).sort((a, b) => a - b);
}

function pickSegment(u: number): (typeof SEGMENTS)[number] {
  let cumulative = 0;
  for (const segment of SEGMENTS) {
    cumulative += segment.share;
    if (u < cumulative) return segment;
  }
  return SEGMENTS[SEGMENTS.length - 1]!;
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}

function shuffle<T>(rng: Rng, list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}

/** An ASCII host-name label from a company name: "Müller Freight GmbH" → "muller-freight-gmbh". */
function domainOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function isoDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function csv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\n') + '\n';
}

await main();
