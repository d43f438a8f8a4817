/**
 * Reference data for synthetic customers: countries (ISO 3166-1 alpha-2 with a
 * rough UTC offset and local legal-entity suffixes), industries with
 * industry-flavoured name nouns, and name stems. Weights are relative shares;
 * the mix leans towards the Americas and Europe, like a typical B2B network.
 */

/** One country customers can be based in. */
export interface Country {
  /** ISO 3166-1 alpha-2 code, as stored in customers.country. */
  readonly code: string;
  /** Relative share of customers. */
  readonly weight: number;
  /** Rough standard-time offset of business hours; daylight saving is ignored on purpose. */
  readonly utcOffsetMinutes: number;
  /** Legal-entity suffixes used in company names there. */
  readonly suffixes: readonly string[];
}

/** One industry and the nouns that make its company names plausible. */
export interface Industry {
  readonly name: string;
  readonly weight: number;
  readonly nouns: readonly string[];
}

export const COUNTRIES: readonly Country[] = [
  { code: 'US', weight: 30, utcOffsetMinutes: -300, suffixes: ['Inc.', 'LLC', 'Corp.'] },
  { code: 'CA', weight: 4, utcOffsetMinutes: -300, suffixes: ['Inc.', 'Ltd.'] },
  { code: 'MX', weight: 6, utcOffsetMinutes: -360, suffixes: ['S.A. de C.V.', 'S. de R.L.'] },
  { code: 'BR', weight: 5, utcOffsetMinutes: -180, suffixes: ['Ltda.', 'S.A.'] },
  { code: 'AR', weight: 2, utcOffsetMinutes: -180, suffixes: ['S.A.', 'S.R.L.'] },
  { code: 'CL', weight: 2, utcOffsetMinutes: -240, suffixes: ['SpA', 'S.A.'] },
  { code: 'CO', weight: 2, utcOffsetMinutes: -300, suffixes: ['S.A.S.'] },
  { code: 'GB', weight: 7, utcOffsetMinutes: 0, suffixes: ['Ltd', 'PLC'] },
  { code: 'IE', weight: 1, utcOffsetMinutes: 0, suffixes: ['Ltd', 'DAC'] },
  { code: 'ES', weight: 4, utcOffsetMinutes: 60, suffixes: ['S.L.', 'S.A.'] },
  { code: 'FR', weight: 5, utcOffsetMinutes: 60, suffixes: ['SAS', 'SARL', 'S.A.'] },
  { code: 'DE', weight: 7, utcOffsetMinutes: 60, suffixes: ['GmbH', 'AG', 'KG'] },
  { code: 'NL', weight: 3, utcOffsetMinutes: 60, suffixes: ['B.V.', 'N.V.'] },
  { code: 'IT', weight: 3, utcOffsetMinutes: 60, suffixes: ['S.r.l.', 'S.p.A.'] },
  { code: 'PL', weight: 2, utcOffsetMinutes: 60, suffixes: ['sp. z o.o.', 'S.A.'] },
  { code: 'SE', weight: 1, utcOffsetMinutes: 60, suffixes: ['AB'] },
  { code: 'ZA', weight: 1, utcOffsetMinutes: 120, suffixes: ['(Pty) Ltd'] },
  { code: 'IN', weight: 4, utcOffsetMinutes: 330, suffixes: ['Pvt. Ltd.', 'Ltd.'] },
  { code: 'SG', weight: 2, utcOffsetMinutes: 480, suffixes: ['Pte. Ltd.'] },
  { code: 'JP', weight: 3, utcOffsetMinutes: 540, suffixes: ['K.K.', 'G.K.'] },
  { code: 'AU', weight: 2, utcOffsetMinutes: 600, suffixes: ['Pty Ltd'] },
];

export const INDUSTRIES: readonly Industry[] = [
  { name: 'Manufacturing', weight: 12, nouns: ['Industries', 'Manufacturing', 'Works', 'Fabrication'] },
  { name: 'Wholesale', weight: 10, nouns: ['Trading', 'Distribution', 'Supply', 'Wholesale'] },
  { name: 'Retail', weight: 9, nouns: ['Stores', 'Retail', 'Outlet', 'Market'] },
  { name: 'Logistics', weight: 8, nouns: ['Logistics', 'Freight', 'Transport', 'Shipping'] },
  { name: 'Software', weight: 8, nouns: ['Software', 'Systems', 'Labs', 'Digital'] },
  { name: 'Professional Services', weight: 9, nouns: ['Consulting', 'Partners', 'Advisory', 'Associates'] },
  { name: 'Construction', weight: 7, nouns: ['Construction', 'Builders', 'Engineering', 'Contractors'] },
  { name: 'Healthcare', weight: 5, nouns: ['Health', 'Medical', 'Clinics', 'Care'] },
  { name: 'Food & Beverage', weight: 6, nouns: ['Foods', 'Beverages', 'Bakery', 'Provisions'] },
  { name: 'Energy', weight: 3, nouns: ['Energy', 'Power', 'Solar', 'Utilities'] },
  { name: 'Agriculture', weight: 3, nouns: ['Farms', 'Agro', 'Harvest', 'Growers'] },
  { name: 'Financial Services', weight: 3, nouns: ['Capital', 'Finance', 'Holdings', 'Payments'] },
  { name: 'Media', weight: 2, nouns: ['Media', 'Studios', 'Publishing', 'Productions'] },
  { name: 'Hospitality', weight: 3, nouns: ['Hotels', 'Hospitality', 'Catering', 'Resorts'] },
  { name: 'Telecommunications', weight: 2, nouns: ['Telecom', 'Networks', 'Communications', 'Connect'] },
  { name: 'Automotive', weight: 3, nouns: ['Motors', 'Automotive', 'Parts', 'Mobility'] },
  { name: 'Textiles', weight: 2, nouns: ['Textiles', 'Apparel', 'Fabrics', 'Garments'] },
  { name: 'Pharmaceuticals', weight: 2, nouns: ['Pharma', 'Therapeutics', 'Biotech', 'Laboratories'] },
];

/**
 * Name stems: invented brands, places and family names. Apostrophes,
 * ampersands and non-ASCII letters are deliberate: they must survive COPY,
 * logical decoding and the lake untouched.
 */
export const NAME_STEMS: readonly string[] = [
  'Acme', 'Northwind', 'Blue River', 'Atlas', 'Pioneer', 'Summit', 'Crescent', 'Horizon',
  'Evergreen', 'Silverline', 'Redwood', 'Granite', 'Oakridge', 'Lumen', 'Meridian', 'Nova',
  'Polar', 'Quantum', 'Zenith', 'Harbor', 'Kestrel', 'Fjord', 'Andes', 'Sierra', 'Cobalt',
  'Vertex', 'Beacon', 'Orchid', 'Falcon', 'Juniper', 'Sapphire', 'Willow', 'Aurora', 'Delta',
  'Keystone', 'Lakeside', 'Monarch', 'Pinnacle', 'Riverside', 'Sterling', 'Trident', 'Union',
  'Müller', 'Schäfer', 'Dubois', 'Lefèvre', 'Rossi', 'Bianchi', 'García', 'Núñez', 'Peña',
  'São Bento', 'Açores', 'Nakamura', 'Sakura', 'Patel', 'Sharma', 'Kowalski', 'Wójcik',
  'Lindqvist', 'Van Dijk', "O'Brien", "O'Connor", 'MacLeod', 'Smith & Sons', 'Brown & Co',
  'Fischer', 'Jansen', 'Moreau', 'Costa', 'Silva', 'Okafor', 'Nguyen', 'Tanaka', 'Khan',
];

/** Cumulative weights for weighted picks by a uniform draw. */
function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    out[i] = sum;
  });
  return out;
}

const COUNTRY_CUMULATIVE = cumulative(COUNTRIES.map((c) => c.weight));
const INDUSTRY_CUMULATIVE = cumulative(INDUSTRIES.map((i) => i.weight));

/** Index of the first cumulative weight above `u * total` (linear: the lists are short). */
function pickWeighted(cum: Float64Array, u: number): number {
  const target = u * (cum[cum.length - 1] ?? 0);
  for (let i = 0; i < cum.length; i++) if (target < (cum[i] ?? 0)) return i;
  return cum.length - 1;
}

/** The country a uniform draw in [0, 1) selects, by country weight. */
export function pickCountry(u: number): Country {
  return COUNTRIES[pickWeighted(COUNTRY_CUMULATIVE, u)] as Country;
}

/** The industry a uniform draw in [0, 1) selects, by industry weight. */
export function pickIndustry(u: number): Industry {
  return INDUSTRIES[pickWeighted(INDUSTRY_CUMULATIVE, u)] as Industry;
}

/** The element of a non-empty list a uniform draw in [0, 1) selects. */
export function pickUniform<T>(list: readonly T[], u: number): T {
  return list[Math.min(list.length - 1, Math.floor(u * list.length))] as T;
}
