import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ImportFormatError,
  orderFromRecord,
  parseImport,
  type ImportFormat,
  type ImportKind,
  type ParsedRow,
  type SalesRow,
  type StoreRow,
} from '../../src/ingestion/imports/index.ts';
import type { CanonicalOrder } from '../../src/commerce/model.ts';

const SALES_HEADER = 'Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday';
const STORES_HEADER = 'Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval';
const ORDERS_HEADER = 'external_id,store_external_id,order_number,channel,currency,status,subtotal,discount_total,tax_total,shipping_total,total,placed_at,updated_at,customer_external_id,customer_email,customer_name,units';
const BOM = '\uFEFF';
const DAY_MS = 86_400_000;

// A sync source served the way the import job serves stored chunks: asynchronously, one at a time.
async function* served<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield item;
  }
}

// The bytes in fixed-size chunks: 7 bytes cuts through fields, quotes, CRLFs and multi-byte characters.
function chunks(text: string | Buffer, size = 7): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return served(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    })(),
  );
}

// The bytes cut at chosen offsets, to put a boundary exactly inside a character or a quoted field.
function cutAt(text: string, ...offsets: number[]): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  const ends = [...offsets, bytes.length];
  return served(ends.map((to, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], to)));
}

async function collect(kind: ImportKind, format: ImportFormat, input: AsyncIterable<Buffer>): Promise<ParsedRow[]> {
  const rows: ParsedRow[] = [];
  for await (const r of parseImport(kind, format, input)) rows.push(r);
  return rows;
}

const values = (rows: ParsedRow[]) => rows.map((r) => (r.ok ? r.value.value : r));
const rejections = (rows: ParsedRow[]) => rows.flatMap((r) => (r.ok ? [] : [{ row: r.row, reason: r.reason }]));
const rowNumbers = (rows: ParsedRow[]) => rows.map((r) => r.row);

function onlyOrders(rows: ParsedRow[]): CanonicalOrder[] {
  return rows.map((r) => {
    assert.ok(r.ok && r.value.kind === 'orders', JSON.stringify(r));
    return r.value.value;
  });
}

const sale = (over: Partial<SalesRow>): SalesRow => ({
  store: '1',
  dayOfWeek: 5,
  date: '2015-07-31',
  sales: '5263',
  customers: 555,
  open: true,
  promo: true,
  stateHoliday: '0',
  schoolHoliday: true,
  ...over,
});

describe('imports: Rossmann sales', () => {
  it('parses rows in the layout of Kaggle train.csv, fed in 7-byte chunks', async () => {
    const csv = [
      SALES_HEADER,
      '1,5,2015-07-31,5263,555,1,1,0,1',
      '2,5,2015-07-31,6064,625,1,1,0,1',
      '85,7,2015-07-26,11421,1606,1,0,0,0',
      '1115,2,2013-01-01,0,0,0,0,a,1',
      '',
    ].join('\n');
    const rows = await collect('sales', 'csv', chunks(csv));
    assert.deepEqual(rowNumbers(rows), [2, 3, 4, 5]);
    assert.deepEqual(values(rows), [
      sale({}),
      sale({ store: '2', sales: '6064', customers: 625 }),
      sale({ store: '85', dayOfWeek: 7, date: '2015-07-26', sales: '11421', customers: 1606, promo: false, schoolHoliday: false }),
      sale({ store: '1115', dayOfWeek: 2, date: '2013-01-01', sales: '0', customers: 0, open: false, promo: false, stateHoliday: 'a' }),
    ]);
  });

  it('rejects bad rows with their row number and why, and goes on with the rest', async () => {
    const csv = [
      SALES_HEADER,
      '1,1,2015-02-30,5263,555,1,1,0,1',
      '1,5,2015-07-31,-4,555,1,1,0,1',
      '1,4,2015-07-31,5263,555,1,1,0,1',
      '1,9,2015-07-31,5263,555,1,1,0,1',
      '1,5,2015-07-31,5263,555,1,1,0',
      '1,5,2015-07-31,5263,555,1,1,0,1,extra',
      '1,5,2015-07-31,52.63001,555,1,1,0,1',
      '1,5,2015-07-31,5263,555,2,1,0,1',
      '1,5,2015-07-31,5263,555,1,1,d,1',
      ',5,2015-07-31,5263,555,1,1,0,1',
      '1,5,31.07.2015,5263,555,1,1,0,1',
      '1,5,2015-07-31,5263,555,1,1,0,1',
    ].join('\n');
    const rows = await collect('sales', 'csv', chunks(csv));
    assert.deepEqual(rejections(rows), [
      { row: 2, reason: 'Date: not a date (2015-02-30)' },
      { row: 3, reason: 'Sales: not a non-negative number (-4)' },
      { row: 4, reason: 'DayOfWeek: 4 does not match Date 2015-07-31, a Friday (5)' },
      { row: 5, reason: 'DayOfWeek: must be 1..7 (9)' },
      { row: 6, reason: 'expected 9 columns, found 8' },
      { row: 7, reason: 'expected 9 columns, found 10' },
      { row: 8, reason: 'Sales: more than 4 decimals (52.63001)' },
      { row: 9, reason: 'Open: must be 0 or 1 (2)' },
      { row: 10, reason: 'StateHoliday: must be one of 0, a, b, c (d)' },
      { row: 11, reason: 'Store: required' },
      { row: 12, reason: 'Date: not a date (31.07.2015)' },
    ]);
    assert.deepEqual(values(rows.filter((r) => r.ok)), [sale({})]);
    assert.equal(rows.at(-1)?.row, 13);
  });

  it('handles a BOM, CRLF line endings, blank lines and a BOM cut across chunks', async () => {
    const csv = `${BOM}${SALES_HEADER}\r\n1,5,2015-07-31,5263,555,1,1,0,1\r\n\r\n   \r\n2,5,2015-07-31,6064,625,1,1,0,1\r\n`;
    for (const input of [chunks(csv, 1), chunks(csv, 2), chunks(csv)]) {
      const rows = await collect('sales', 'csv', input);
      assert.deepEqual(rowNumbers(rows), [2, 5]);
      assert.deepEqual(values(rows), [sale({}), sale({ store: '2', sales: '6064', customers: 625 })]);
    }
  });

  it('reads NDJSON with the CSV column names, numbers or strings, numbered by line', async () => {
    const ndjson = [
      '{"Store":1,"DayOfWeek":5,"Date":"2015-07-31","Sales":5263,"Customers":555,"Open":1,"Promo":1,"StateHoliday":0,"SchoolHoliday":1}',
      '',
      '{"Store":"2","DayOfWeek":"5","Date":"2015-07-31","Sales":"6064.5","Customers":"625","Open":"1","Promo":"1","StateHoliday":"0","SchoolHoliday":"1"}',
      '{"Store":3,"DayOfWeek":5,"Date":"2015-07-31","Sales":-1,"Customers":1,"Open":1,"Promo":1,"StateHoliday":"0","SchoolHoliday":1}',
      '{"Store":3,"DayOfWeek":5,"Date":"2015-07-31"}',
    ].join('\r\n');
    const rows = await collect('sales', 'ndjson', chunks(ndjson));
    assert.deepEqual(values(rows.slice(0, 2)), [sale({}), sale({ store: '2', sales: '6064.5', customers: 625 })]);
    assert.deepEqual(rejections(rows), [
      { row: 4, reason: 'Sales: not a non-negative number (-1)' },
      { row: 5, reason: 'Sales: required' },
    ]);
    assert.deepEqual(rowNumbers(rows), [1, 3, 4, 5]);
  });
});

describe('imports: Rossmann stores', () => {
  const store = (over: Partial<StoreRow>): StoreRow => ({
    store: '1',
    storeType: 'c',
    assortment: 'a',
    competitionDistance: '1270',
    competitionOpenSince: '2008-09-01',
    promo2: false,
    promo2Since: null,
    promoInterval: null,
    ...over,
  });

  it('parses rows in the layout of Kaggle store.csv, empty cells as null, with a chunk boundary inside a quoted field', async () => {
    const csv = [
      STORES_HEADER,
      '1,c,a,1270,9,2008,0,,,',
      '2,a,a,570,11,2007,1,13,2010,"Jan,Apr,Jul,Oct"',
      '12,a,c,1070,,,1,13,2010,"Jan,Apr,Jul,Oct"',
      '291,d,a,,,,0,,,',
      '878,d,a,2320.0,9.0,2005.0,1,53,2015,"Mar,Jun,Sept,Dec"',
    ].join('\n');
    const cut = Buffer.from(csv).indexOf('Apr,Jul') + 2;
    const rows = await collect('stores', 'csv', cutAt(csv, cut, cut + 1));
    assert.deepEqual(rowNumbers(rows), [2, 3, 4, 5, 6]);
    const promo2 = { promo2: true, promo2Since: '2010-03-29', promoInterval: 'Jan,Apr,Jul,Oct' };
    assert.deepEqual(values(rows), [
      store({}),
      store({ store: '2', storeType: 'a', competitionDistance: '570', competitionOpenSince: '2007-11-01', ...promo2 }),
      store({ store: '12', storeType: 'a', assortment: 'c', competitionDistance: '1070', competitionOpenSince: null, ...promo2 }),
      store({ store: '291', storeType: 'd', competitionDistance: null, competitionOpenSince: null }),
      // 2015 has 53 ISO weeks; week 53 starts on Monday 2015-12-28.
      store({ store: '878', storeType: 'd', competitionDistance: '2320.0', competitionOpenSince: '2005-09-01', promo2: true, promo2Since: '2015-12-28', promoInterval: 'Mar,Jun,Sept,Dec' }),
    ]);
  });

  it('rejects impossible weeks, unknown store types and month lists', async () => {
    const csv = [
      STORES_HEADER,
      '3,a,a,14130,12,2006,1,53,2011,"Jan,Apr,Jul,Oct"',
      '4,e,c,620,9,2009,0,,,',
      '5,a,a,29910,13,2015,0,,,',
      '6,a,a,310,12,2013,1,14,2011,"Jan,Avr"',
      '7,a,c,24000,4,2013,0,,,',
    ].join('\n');
    const rows = await collect('stores', 'csv', chunks(csv));
    assert.deepEqual(rejections(rows), [
      { row: 2, reason: 'Promo2SinceWeek: 2011 has no ISO week 53 (53)' },
      { row: 3, reason: 'StoreType: must be one of a, b, c, d (e)' },
      { row: 4, reason: 'CompetitionOpenSinceMonth: must be 1..12 (13)' },
      { row: 5, reason: 'PromoInterval: not a list of months like Jan,Apr,Jul,Oct (Jan,Avr)' },
    ]);
    assert.equal(rows.filter((r) => r.ok).length, 1);
  });
});

describe('imports: orders', () => {
  it('maps an NDJSON order in the batch event shape to a canonical order', async () => {
    const line = JSON.stringify({
      type: 'order',
      external_id: '1001',
      order_number: '#1001',
      store_external_id: '1',
      channel: 'web',
      currency: 'eur',
      status: 'paid',
      subtotal: '59.9',
      shipping_total: 4.5,
      total: '64.40',
      placed_at: '2026-03-01T10:31:00+01:00',
      customer: { external_id: 'c-7', email: 'zoe@example.com', name: 'Zoë 山田' },
      lines: [
        { external_id: 'l1', sku: 'TEA-1', title: 'Tea', quantity: 2, unit_price: '29.95' },
        { quantity: 3, unit_price: '0.3333', total: '1' },
      ],
    });
    // Cut inside the three bytes of 山, so the decoder sees half a character at the end of a chunk.
    const cut = Buffer.from(line).indexOf(Buffer.from('山')) + 1;
    const [order] = onlyOrders(await collect('orders', 'ndjson', cutAt(`${line}\n`, cut)));
    assert.deepEqual(order, {
      externalId: '1001',
      orderNumber: '#1001',
      paymentRef: null,
      storeExternalId: '1',
      channel: 'web',
      customer: { externalId: 'c-7', email: 'zoe@example.com', name: 'Zoë 山田', createdAt: null, updatedAt: '2026-03-01T09:31:00.000Z' },
      currency: 'EUR',
      status: 'paid',
      subtotal: '59.90',
      discountTotal: '0.00',
      taxTotal: '0.00',
      shippingTotal: '4.50',
      total: '64.40',
      lines: [
        { externalId: 'l1', productExternalId: null, sku: 'TEA-1', title: 'Tea', quantity: 2, unitPrice: '29.95', total: '59.90' },
        { externalId: null, productExternalId: null, sku: null, title: null, quantity: 3, unitPrice: '0.3333', total: '1.00' },
      ],
      placedAt: '2026-03-01T09:31:00.000Z',
      cancelledAt: null,
      updatedAt: '2026-03-01T09:31:00.000Z',
    });
  });

  it('rejects lines that are not JSON, not objects or not valid orders, by line number', async () => {
    const ok = '{"external_id":"1","currency":"EUR","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00Z"}';
    const ndjson = [
      ok,
      '{"external_id":"2","currency":"EUR",',
      '[1,2]',
      '"text"',
      '{"external_id":"3","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00Z"}',
      '{"external_id":"4","currency":"EUR","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00"}',
      '{"external_id":"5","currency":"EURO","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00Z"}',
      '{"external_id":"6","currency":"EUR","status":"shipped","total":"1.00","placed_at":"2026-01-01T00:00:00Z"}',
      '{"external_id":"7","currency":"EUR","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00Z","lines":[{"unit_price":"1"}]}',
      '{"external_id":"8","currency":"EUR","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00Z","customer":{"email":"a@b.c"}}',
      '{"external_id":"9","currency":"EUR","status":"paid","total":"1.00","placed_at":"2026-02-30T00:00:00Z"}',
      ok,
    ].join('\n');
    const rows = await collect('orders', 'ndjson', chunks(ndjson));
    assert.deepEqual(
      rejections(rows).map((r) => ({ ...r, reason: r.reason.replace(/ \(Expected.*\)$|JSON \(.*\)$/, 'JSON') })),
      [
        { row: 2, reason: 'not valid JSON' },
        { row: 3, reason: 'not a JSON object' },
        { row: 4, reason: 'not a JSON object' },
        { row: 5, reason: 'currency: required' },
        { row: 6, reason: 'placed_at: no time zone (2026-01-01T00:00:00)' },
        { row: 7, reason: 'currency: not a three-letter ISO 4217 code (EURO)' },
        { row: 8, reason: 'status: must be one of pending, paid, fulfilled, cancelled, refunded, partially_refunded (shipped)' },
        { row: 9, reason: 'lines[0].quantity: required' },
        { row: 10, reason: 'customer.external_id: required' },
        { row: 11, reason: 'placed_at: not a timestamp (2026-02-30T00:00:00Z)' },
      ],
    );
    assert.deepEqual(rowNumbers(rows.filter((r) => r.ok)), [1, 12]);
  });

  it('maps a flattened CSV order: defaults, customer columns, units as one line', async () => {
    const csv = [
      ORDERS_HEADER,
      '1001,1,#1001,pos,EUR,paid,,,,,59.90,2026-03-01T09:31:00Z,,c-7,zoe@example.com,"Zoë 山田",3',
      '1002,,,,jpy,refunded,1100,100,,,1000,2026-03-01T09:31:00.5-05:00,2026-03-02T00:00:00Z,,,,0',
      '1003,,,,EUR,paid,,,,,10,2026-03-01T09:31:00Z,,,,,',
      '1004,,,,EUR,paid,,,,,10,2026-03-01T09:31:00Z,,,nobody@example.com,,',
    ].join('\r\n');
    const cut = Buffer.from(csv).indexOf(Buffer.from('ë')) + 1;
    const rows = await collect('orders', 'csv', cutAt(csv, cut));
    assert.deepEqual(rejections(rows), [{ row: 5, reason: 'customer_external_id: required' }]);
    const [a, b, c] = onlyOrders(rows.filter((r) => r.ok));
    assert.ok(a && b && c);
    assert.deepEqual(
      { subtotal: a.subtotal, discount: a.discountTotal, channel: a.channel, store: a.storeExternalId, number: a.orderNumber, updatedAt: a.updatedAt },
      { subtotal: '59.90', discount: '0.00', channel: 'pos', store: '1', number: '#1001', updatedAt: '2026-03-01T09:31:00.000Z' },
    );
    assert.deepEqual(a.customer, { externalId: 'c-7', email: 'zoe@example.com', name: 'Zoë 山田', createdAt: null, updatedAt: '2026-03-01T09:31:00.000Z' });
    assert.deepEqual(a.lines, [{ externalId: null, productExternalId: null, sku: null, title: null, quantity: 3, unitPrice: '19.9667', total: '59.90' }]);
    assert.deepEqual(
      { currency: b.currency, status: b.status, subtotal: b.subtotal, discount: b.discountTotal, total: b.total, placedAt: b.placedAt, updatedAt: b.updatedAt, customer: b.customer },
      { currency: 'JPY', status: 'refunded', subtotal: '1100', discount: '100', total: '1000', placedAt: '2026-03-01T14:31:00.500Z', updatedAt: '2026-03-02T00:00:00.000Z', customer: null },
    );
    assert.deepEqual(b.lines, [{ externalId: null, productExternalId: null, sku: null, title: null, quantity: 0, unitPrice: '1000', total: '1000' }]);
    assert.deepEqual(c.lines, []);
  });

  it('needs only the required order columns in the header', async () => {
    const csv = 'external_id,currency,status,total,placed_at\n7,USD,pending,12.5,2026-01-01T00:00:00Z\n';
    const [order] = onlyOrders(await collect('orders', 'csv', chunks(csv)));
    assert.equal(order?.total, '12.50');
    assert.equal(order?.customer, null);
    assert.deepEqual(order?.lines, []);
  });

  it('validates a batch event with the same rules (orderFromRecord)', () => {
    const event = { type: 'order', id: 'evt-1', external_id: '1', currency: 'USD', status: 'paid', total: '5', placed_at: '2026-01-01T00:00:00Z' };
    const ok = orderFromRecord(event);
    assert.ok(ok.ok);
    assert.equal(ok.value.total, '5.00');
    assert.deepEqual(orderFromRecord({ ...event, total: '1.23456' }), { ok: false, reason: 'total: more than 4 decimals (1.23456)' });
  });
});

describe('imports: file-level problems', () => {
  it('fails the whole file when a required header column is missing, naming the columns', async () => {
    const csv = 'Store,DayOfWeek,Date,Customers,Open,Promo,SchoolHoliday\n1,5,2015-07-31,555,1,1,1\n';
    await assert.rejects(collect('sales', 'csv', chunks(csv)), (err: unknown) => {
      assert.ok(err instanceof ImportFormatError);
      assert.match(err.message, /required columns: Sales, StateHoliday\b/);
      return true;
    });
    await assert.rejects(collect('orders', 'csv', chunks('external_id,status,total\n')), /required columns: currency, placed_at\b/);
  });

  it('fails on an empty file, a repeated column and a quote that never closes', async () => {
    await assert.rejects(collect('stores', 'csv', chunks('')), ImportFormatError);
    await assert.rejects(collect('sales', 'csv', chunks(`${SALES_HEADER},Store\n`)), /repeats columns: Store/);
    await assert.rejects(collect('sales', 'csv', chunks(`${SALES_HEADER}\n"1,5,2015-07-31,5263,555,1,1,0,1\n`)), ImportFormatError);
  });

  it('numbers CSV rows by the line they start on, across quoted line breaks', async () => {
    const csv = `external_id,currency,status,total,placed_at,customer_external_id,customer_name\n"a\r\nb",EUR,paid,1,2026-01-01T00:00:00Z,c1,"two\nlines"\n\n2,EUR,paid,x,2026-01-01T00:00:00Z,,\n`;
    const rows = await collect('orders', 'csv', chunks(csv, 3));
    assert.deepEqual(rowNumbers(rows), [2, 6]);
    assert.deepEqual(rejections(rows), [{ row: 6, reason: 'total: not a number (x)' }]);
  });

  it('propagates an error reading the input instead of hanging', async () => {
    function* broken(): Generator<Buffer> {
      yield Buffer.from(`${SALES_HEADER}\n1,5,2015-07-31,5263,555,1,1,0,1\n`);
      throw new Error('chunk store went away');
    }
    await assert.rejects(collect('sales', 'csv', served(broken())), /chunk store went away/);
    await assert.rejects(collect('sales', 'ndjson', served(broken())), /chunk store went away/);
  });

  it('rejects an NDJSON line that is not UTF-8 without losing the next one', async () => {
    const ok = '{"external_id":"1","currency":"EUR","status":"paid","total":"1.00","placed_at":"2026-01-01T00:00:00Z"}';
    const bytes = Buffer.concat([Buffer.from('{"external_id":"'), Buffer.from([0xff, 0xfe]), Buffer.from(`"}\n${ok}\n`)]);
    const rows = await collect('orders', 'ndjson', chunks(bytes));
    assert.deepEqual(rejections(rows), [{ row: 1, reason: 'not valid UTF-8' }]);
    assert.deepEqual(rowNumbers(rows), [1, 2]);
  });
});

describe('imports: large files', () => {
  const ROWS = 200_000;

  // Rossmann-like sales rows, a thousand per chunk, generated as they are pulled: never one string.
  function generatedSales(rows: number, pulled: { chunks: number; closed: boolean }): AsyncGenerator<Buffer> {
    return served(salesChunks(rows, pulled));
  }

  function* salesChunks(rows: number, pulled: { chunks: number; closed: boolean }): Generator<Buffer> {
    try {
      pulled.chunks += 1;
      yield Buffer.from(`${SALES_HEADER}\n`);
      const first = Date.UTC(2013, 0, 1);
      for (let i = 0; i < rows; i += 1000) {
        const lines: string[] = [];
        for (let j = i; j < Math.min(i + 1000, rows); j += 1) {
          const day = new Date(first + (j % 942) * DAY_MS);
          lines.push(`${(j % 1115) + 1},${day.getUTCDay() || 7},${day.toISOString().slice(0, 10)},${j % 20000}.5,${j % 3000},1,${j % 2},0,0\n`);
        }
        pulled.chunks += 1;
        yield Buffer.from(lines.join(''));
      }
    } finally {
      pulled.closed = true;
    }
  }

  // heapUsed also counts garbage V8 has not collected yet (from 30 to 180 MB here, run to run, for
  // this test): collecting first measures what the parser actually holds on to. Buffers live
  // outside the heap, so they are counted too.
  function liveMemory(): number {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  }

  it(`parses ${ROWS} generated sales rows with bounded memory`, async () => {
    const pulled = { chunks: 0, closed: false };
    const before = liveMemory();
    let peak = before;
    let count = 0;
    let sales = 0;
    for await (const r of parseImport('sales', 'csv', generatedSales(ROWS, pulled))) {
      if (!r.ok) assert.fail(`row ${r.row}: ${r.reason}`);
      if (r.value.kind === 'sales') sales += Number(r.value.value.sales);
      count += 1;
      if (count % 20_000 === 0) peak = Math.max(peak, liveMemory());
    }
    assert.equal(count, ROWS);
    assert.equal(pulled.chunks, ROWS / 1000 + 1);
    assert.ok(sales > 0);
    // About 1 MB in practice (the streams' read-ahead). Keeping every parsed row would be ~50 MB,
    // so the bound is well under the brief's 100 MB to catch that, and far enough above 1 MB not to flake.
    const growthMb = (peak - before) / 1024 / 1024;
    assert.ok(growthMb < 16, `live memory grew by ${growthMb.toFixed(1)} MB`);
  });

  it('pulls the input only as fast as rows are taken (backpressure), and closes it on an early stop', async () => {
    for (const format of ['csv', 'ndjson'] as const) {
      const pulled = { chunks: 0, closed: false };
      const input = format === 'csv' ? generatedSales(ROWS, pulled) : salesAsNdjson(generatedSales(ROWS, pulled));
      for await (const r of parseImport('sales', format, input)) {
        assert.ok(r.ok);
        break;
      }
      // 201 chunks in all; one row takes a few (3 here), plus what the streams read ahead.
      assert.ok(pulled.chunks < 10, `${format}: ${pulled.chunks} chunks pulled for one row`);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(pulled.closed, `${format}: input left open`);
    }
  });

  // The same rows as NDJSON objects keyed by the CSV header.
  async function* salesAsNdjson(csv: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const columns = SALES_HEADER.split(',');
    for await (const chunk of csv) {
      const lines = chunk.toString().split('\n').filter((l) => l !== '' && l !== SALES_HEADER);
      yield Buffer.from(lines.map((l) => `${JSON.stringify(Object.fromEntries(l.split(',').map((v, i) => [columns[i], v])))}\n`).join(''));
    }
  }
});
