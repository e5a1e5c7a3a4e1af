/**
 * Word and phrase lists for the generated benign corpus (`benign-corpus.ts`). Written for this project: ordinary
 * shop, profile, support and developer vocabulary, with the characters real users type (apostrophes, inch marks,
 * typographic quotes, `&`, `;`, `#`, `%`) because those are what trips a WAF.
 */

export const FIRST_NAMES = [
  'Liam', 'Olivia', 'Noah', 'Emma', 'Oliver', 'Ava', 'Elijah', 'Sophia', 'Mateo', 'Isabella', 'Lucas', 'Mia',
  'Zoë', 'Chloé', 'José', 'Łukasz', 'Søren', 'Aoife', 'Siobhán', 'Seán', 'Jean-Luc', 'Marie-Claire', 'Anne-Sophie',
  'Mohammed', 'Fatima', 'Aarav', 'Priya', 'Wei', 'Yuki', 'Hiroshi', 'Kwame', 'Ngozi', 'Olamide', 'Björn', 'Åsa',
  'Dmitri', 'Ольга', 'Андрей', '美咲', '陽翔', 'Zeynep', 'Emre', 'Ana', 'João', 'D\'Andre', 'Ke\'Shawn', 'Da\'Quan',
  'Select', 'Union', 'Dash', 'Cat', 'Ping', 'Curl', 'Ruby', 'Perl', 'Java', 'Grant', 'Drop', 'Echo', 'Null',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  "O'Brien", "O'Neill", "O'Connor", "D'Angelo", "D'Souza", "McDonald", "MacLeod", "Dell'Olio", "L'Estrange",
  'van der Berg', 'de la Cruz', 'García-López', 'Müller', 'Schröder', 'Nguyễn', 'Trần', 'Kowalski', 'Nowak',
  'Øster', 'Andersson', 'Okafor', 'Adeyemi', 'Tanaka', 'Sato', 'Kim', 'Park', 'Singh', 'Patel', 'Khan', 'Null',
  'Select', 'Drop', 'Union', 'Table', 'Sleep', 'Cat', 'Kill', 'Root', 'Admin', 'Script', 'Alert', 'Order',
];

export const STREETS = [
  'Main St', 'High Street', 'Oak Avenue', 'Elm St.', 'Rue de l’Église', "King's Road", "St. Mary's Lane",
  'Via dell’Amore', '5th Ave', 'Broadway', 'Calle 13 #45-67', 'Unter den Linden', 'Queen’s Parade', 'Bd. Saint-Germain',
  'Old Mill Rd', 'Harbour View Tce', 'Sunset Blvd', 'Chemin des Vignes', 'Ringstraße', 'Route 66',
];

export const CITIES = [
  'London', 'Paris', 'New York', "Coeur d'Alene", 'Martha’s Vineyard', 'São Paulo', 'Zürich', 'Kraków', 'Tōkyō',
  'Lagos', 'Mumbai', 'Québec', "L'Aquila", 'Saint-Étienne', 'Reykjavík', 'Åre', 'Düsseldorf', 'Ho Chi Minh City',
  'Wagga Wagga', 'Truth or Consequences', 'Union City', 'Select', 'Hell', 'Boring',
];

export const ADDRESS_EXTRAS = [
  'Apt 4B', 'Apt. #12', 'Unit 3; Building B', 'Flat 2/1', 'c/o Reception', 'P.O. Box 1234', 'Suite 100 & 101',
  '2nd floor, ring bell twice', 'Gate code #4711', 'Door code: 1234*', 'Behind the blue door (side entrance)',
  'Leave with neighbour @ no. 7', '½ mile past the church', 'Lot 7, Block 3 - Phase 2', '',
];

export const PRODUCT_NOUNS = [
  'pizza', 'laptop sleeve', 'monitor', 'TV', 'bike tyre', 'skillet', 'frying pan', 'wheel', 'rim', 'suitcase',
  'drill bit', 'pipe', 'hose', 'tablet case', 'cake tin', 'picture frame', 'mattress', 'rug', 'subwoofer',
  'cutting board', 'wrench', 'socket set', 'shelf bracket', 'planter', 'duvet cover', 'yoga mat', 'umbrella',
  'sneakers', 'boots', 'jeans', 'T-shirt', 'hoodie', 'backpack', 'phone case', 'charger', 'USB-C cable', 'SSD',
  'router', 'table', 'select drill', 'union jack flag', 'cat tree', 'cat litter', 'ping pong table', 'echo dot',
];

export const ADJECTIVES = [
  'cast-iron', 'non-stick', 'stainless', 'waterproof', 'kids\'', "men's", "women's", 'organic', 'vintage',
  'refurbished', 'wireless', 'heavy-duty', 'gluten-free', 'extra-large', '2-pack', 'eco', 'limited edition',
  'heat-resistant', 'foldable', 'ultra-thin', 'noise-cancelling', 'retro', 'hand-made', 'AT&T', 'B&Q', 'M&S',
];

export const BRANDS = [
  "Levi's", "Kellogg's", "McDonald's", "Trader Joe's", "Ben & Jerry's", 'Procter & Gamble', 'H&M', 'A&W',
  'Dolce & Gabbana', "L'Oréal", 'Häagen-Dazs', 'Nestlé', 'Citroën', 'Škoda', 'Yves Saint Laurent', 'Marks & Spencer',
  'Johnson & Johnson', 'Barnes & Noble', 'Bed Bath & Beyond', 'Crate&Barrel', 'Abercrombie & Fitch',
];

/** Size and measure phrases with inch marks, primes, fractions and ranges. */
export const MEASURES = [
  '16" or 18"', '12"', '1/4"', '3/8" x 2"', '5\'10"', '6\' x 9\'', '27" 4K', '32-34"', '15.6”', '10″', '8’ long',
  '2x4', '1/2 inch', '24" - 30"', '55 in.', '1.5"-2"', '4\'x6\'', '12" x 12" x 1/2"', '"XL"', '1" thick', '3/4"-10',
  '½"', '¾ in', '100%', '50% off', '#2', 'No. 10', '2-for-1', '0-3 months', 'size 10½', 'W32" L34"',
];

export const SEARCH_MODIFIERS = [
  'cheap', 'best', 'near me', 'on sale', 'for kids', 'with lid', '-used', '"exact phrase"', 'OR', 'and', 'not red',
  'under $50', '$20-$40', '+free shipping', 'rated 4+', 'like new', 'in stock', '& accessories', 'vs', 'or similar',
  'for dad’s birthday', '“gift set”', 'select size', 'order by price', 'union made', 'from Japan', 'where to buy',
];

export const REVIEW_OPENERS = [
  "I'd say it's worth it", "Can't believe how good this is", "Don't buy this", "It's OK, I guess", 'Honestly?',
  '5/5 would buy again', 'Meh.', 'Love it <3', 'Five stars!!!', 'Not what I expected :(', 'So-so; see below',
  "My wife's favourite", "Kids' verdict: yes", 'Update (2 weeks later):', 'EDIT: seller replied quickly',
  'Pros & cons:', 'TL;DR - get it', '“Best purchase this year”', "Didn't fit - had to return", 'A+++',
];

export const REVIEW_SENTENCES = [
  "The 16\" one is too big for my oven; the 12\" fits.", "It's 5'10\" tall, not 6' as advertised.",
  'Select the larger size if you’re between sizes.', 'Drop it once and it cracks.', 'Union of style and function!',
  'Delivery took 3-5 days; packaging was fine.', "Order by Monday if you want it before the weekend.",
  'Works with iOS & Android.', 'Battery lasts ~2 days; charging is 0-100% in 1h.', 'Price went from $49 to $39 -> bargain.',
  'Colour is more "navy" than "royal blue".', "Tom & Jerry themed box, kids loved it.", 'Compared to the old one: 2x faster.',
  'Tip: wash at 30° or it shrinks!', "Doesn't work where there's no Wi-Fi; needs an update.", 'a < b is how I rate them; b wins.',
  'Sleep quality improved (1 week in).', 'It is the "select" model, not the premium one.', 'Grant from support fixed it; thanks Grant!',
  'Set up in 5 min: plug in, pair, done.', "The lid's hinge is flimsy -- be careful.", 'Half the price of the #1 brand.',
  'If you like X, you’ll like this; if not, skip.', 'Ordered 2; 1 arrived broken & 1 fine.', 'Would not recommend :/',
  "Fits my 27\" monitor like a glove.", 'My cat tree wobbles, had to tighten the bolts (4mm hex).', 'The echo is gone now.',
  'Ping me if you want photos.', 'I dropped the table into the car and it survived.', 'Union jack print is faded.',
  'Note: the "1/2 price" sticker was wrong.', "It's like 100% cotton -- feels great.", 'Or you could just buy two.',
  'You get what you pay for; and this one is cheap.', 'Rated it 3 because of the smell; otherwise 5.',
];

export const CHAT_LINES = [
  'Hi, my order hasn’t arrived yet, can you check?', 'The app crashes when I open the cart; iPhone 15, iOS 17.4.',
  "I can't log in; it says my password is wrong but I just reset it.", 'Where is my refund? Order #A-12345.',
  'Please delete my account & all data (GDPR).', 'Can I change the delivery address to my work one?',
  "It's been 3 weeks -- what's going on?", 'Thanks, that worked!', 'Is there a discount code for students?',
  'The QR code won’t scan; screen brightness is 100%.', 'Error 500 when uploading my profile picture.',
  'How do I export my data? Settings > Privacy > Export is greyed out.', 'I was charged twice: $19.99 & $19.99.',
  'Select all the items and then tap "remove"? It does nothing.', 'My union card number is 123-456; is that valid for the discount?',
  'Drop-off point was wrong; the driver left it at no. 12 instead of 21.', 'Can you ping the courier?',
  'The echo in the video call is terrible.', 'Which is better: the 16" or 18" model?',
];

/** Developer-support snippets (Markdown): code, shell and SQL people paste into chats and tickets. */
export const CODE_SNIPPETS = [
  '```sql\nSELECT id, status FROM orders WHERE user_id = 42 ORDER BY created_at DESC LIMIT 10;\n```',
  '```bash\nnpm install && npm run build\n```', '```sh\ncurl -H "Authorization: Bearer $TOKEN" https://api.example.com/v1/me\n```',
  '```js\nconst res = await fetch(url, { method: "POST", body: JSON.stringify(data) });\n```',
  '```python\nfor item in items:\n    print(item["name"])\n```', '`git pull --rebase`', '`npm ci`', '`SELECT count(*) FROM users`',
  '```\nTypeError: Cannot read properties of undefined (reading \'map\')\n    at CartList (CartList.tsx:42:17)\n```',
  '```kotlin\nval intent = Intent(this, MainActivity::class.java)\nstartActivity(intent)\n```',
  '```swift\nlet task = URLSession.shared.dataTask(with: request) { data, response, error in }\n```',
  '```json\n{"error": "invalid_grant", "error_description": "token expired"}\n```',
  'I ran `ls -la ~/Library/Caches` and the folder is empty.', 'Try `adb logcat | grep MyApp` and send us the output.',
  '```yaml\nversion: "3"\nservices:\n  web:\n    image: nginx:1.25\n    ports: ["8080:80"]\n```',
  'The query is `UPDATE users SET plan = \'pro\' WHERE id = 7;` and it times out.', '```diff\n- if (a && b)\n+ if (a || b)\n```',
  '```ts\nexport type Handler = (req: Request) => Promise<Response>;\n```', 'Use `Array.prototype.map` not `forEach`.',
  '```html\n<div class="card"><img src="/img/a.png" alt="A"></div>\n```', 'Run `brew install jq` then `cat out.json | jq .items`.',
  '```java\nList<String> names = users.stream().map(User::getName).collect(Collectors.toList());\n```',
  '```php\n$total = array_sum(array_column($rows, \'price\'));\n```', 'Is `rm -rf node_modules` safe? It fixed it last time.',
  '```sql\nCREATE INDEX idx_orders_user ON orders (user_id);\n```', 'Docs say `${API_URL}/v2` but the app uses `/v1`.',
];

export const MOBILE_USER_AGENTS = [
  'okhttp/4.12.0', 'okhttp/3.14.9', 'Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240105.004)',
  'Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)', 'ShopApp/5.12.0 (iPhone; iOS 17.4.1; Scale/3.00)',
  'ShopApp/5.12.0 (com.example.shop; build:5120; iOS 17.4.1) Alamofire/5.8.1', 'ShopApp/5120 CFNetwork/1494.0.7 Darwin/23.4.0',
  'Expo/1017565 CFNetwork/1492.0.1 Darwin/23.3.0', 'Dart/3.3 (dart:io)', 'axios/1.6.8', 'ReactNativeApp/2.3.1 (Android 12; SM-A525F)',
  'com.example.shop/4.2.0 (Linux; U; Android 11; Redmi Note 9 Pro) Cronet/120.0.6099.43', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'FBAN/FBIOS;FBAV/458.0.0.36.108;FBBV/567890;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5',
  'Instagram 324.0.0.27.50 Android (33/13; 420dpi; 1080x2400; samsung; SM-G991B; o1s; exynos2100; en_US; 580117993)',
  'GoogleMobileAds/11.2.0 (iOS 17.4)', 'Firebase/11.0.0 (iOS; 17.4)', 'Apache-HttpClient/UNAVAILABLE (java 1.4)',
  'ktor-client', 'Retrofit/2.9.0 okhttp/4.11.0', 'Unity/2022.3.20f1 (Android 13)', 'SentryCocoa/8.21.0', 'curl/8.4.0',
  'PostmanRuntime/7.37.0', 'python-requests/2.31.0', 'Go-http-client/2.0', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
];

export const LOREM = (
  'the a of and to in is it you that he was for on are with as his they be at one have this from or had by word but ' +
  'what some we can out other were all there when up use your how said an each she which do their time if will way ' +
  'about many then them write would like so these her long make thing see him two has look more day could go come ' +
  'did number sound no most people my over know water than call first who may down side been now find any new work ' +
  'part take get place made live where after back little only round man year came show every good me give our under ' +
  'select union drop table order by group delete insert update from where join exec script alert echo cat ping sleep ' +
  'system process require eval import class function constructor prototype runtime spawn shell command'
).split(' ');

export const TOPICS = ['billing', 'delivery', 'account', 'bug', 'feature request', 'refund', 'privacy', 'api', 'other'];

export const FILE_NAMES = [
  'IMG_2024.HEIC', 'receipt (1).pdf', 'Screenshot 2024-03-01 at 10.15.22.png', 'CV_final_v2.docx', 'photo.jpg',
  'invoice#123.pdf', 'my résumé.pdf', "Mum's birthday.mov", 'scan_001.tiff', 'data export.csv', 'notes.txt',
  'report-Q1 & Q2.xlsx', 'avatar@2x.png', 'logs.zip', 'crash.log', 'contract [signed].pdf',
];

export const JAVA_CRASH_LINES = [
  'java.lang.NullPointerException: Attempt to invoke virtual method \'int java.lang.String.length()\' on a null object reference',
  'at com.example.shop.cart.CartAdapter.onBindViewHolder(CartAdapter.kt:87)',
  'at androidx.recyclerview.widget.RecyclerView$Adapter.bindViewHolder(RecyclerView.java:7254)',
  'at android.os.Handler.dispatchMessage(Handler.java:106)', 'at android.app.ActivityThread.main(ActivityThread.java:8177)',
  'at java.lang.reflect.Method.invoke(Native Method)', 'at com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)',
  'java.lang.IllegalStateException: Fragment not attached to a context.', 'Caused by: java.net.SocketTimeoutException: timeout',
  'at okhttp3.internal.connection.RealCall.execute(RealCall.kt:154)', 'java.lang.OutOfMemoryError: Failed to allocate a 4194320 byte allocation',
];

export const JS_CRASH_LINES = [
  "TypeError: undefined is not an object (evaluating 'e.items.map')", 'at CartScreen (index.android.bundle:1:482311)',
  'at Object.<anonymous> (/app/node_modules/react-native/Libraries/Core/setUpErrorHandling.js:23:9)',
  'Error: Network request failed', 'at XMLHttpRequest.xhr.onerror (whatwg-fetch.js:612:18)', 'ReferenceError: process is not defined',
  'Unhandled promise rejection: Error: Request failed with status code 401',
];
