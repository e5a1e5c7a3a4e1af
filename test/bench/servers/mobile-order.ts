/**
 * The realistic mobile request the payload timings use (`npm run bench` and `npm run bench:detection`): quotes,
 * apostrophes, `#`, `;`, `&` and parentheses, the values that reach the detectors, unlike a padded body. Its own
 * module so the detection benchmark, which measures the sources, does not load the built package.
 */
/** The ~1 KB JSON body of a typical mobile order (the same one `npm run bench:detection` times). */
export const MOBILE_ORDER_1KB = JSON.stringify({
  items: [
    { sku: 'SKU-4F2A9C', name: "Levi's 501 jeans W32\" L34\"", qty: 1, price: 89.9 },
    { sku: 'SKU-77E1B0', name: 'Cast-iron skillet 12"', qty: 2, price: 34.5 },
  ],
  note: "Leave at door; ring bell. It's a gift - no receipt please!",
  shipping: { name: "Siobhán O'Neill", line1: "12 King's Road", line2: 'Apt #4; Building B', city: 'London', postcode: 'SW3 4NB', country: 'GB' },
  coupon: 'SPRING-20',
  paymentMethod: 'apple_pay',
  device: { model: 'iPhone15,3', os: 'iOS 17.4.1', appVersion: '5.12.0 (5120)' },
  clientTs: '2024-06-01T10:15:22.000Z',
  tags: ['gift', 'express', 'eco-packaging'],
  comment: 'Please deliver after 6pm (dog is friendly) & call +44 20 7946 0958 if needed.',
}).padEnd(1024, ' ');

/** The headers of a typical mobile request (the same ones `npm run bench:detection` times). */
export const MOBILE_HEADERS: Readonly<Record<string, string>> = {
  host: 'api.example.com',
  'user-agent': 'ShopApp/5.12.0 (iPhone; iOS 17.4.1; Scale/3.00)',
  accept: 'application/json',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'br;q=1.0, gzip;q=0.9',
  'content-type': 'application/json',
  'content-length': '1024',
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl',
  'x-request-id': '6f1c2a4e-8b7d-4c1e-9f00-2a3b4c5d6e7f',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'x-attestation-token': 'eyJhbGciOiJFUzI1NiJ9.eyJkaWQiOiJhYmMifQ.c2ln',
  cookie: 'session=abc123; _ga=GA1.2.123456789.1700000000',
};
