// Drives the Agents Playground's own web page in headless Chromium, as an admin would: open the
// personal chat, type, and press the buttons on the cards that come back. Prints one JSON line
// per step with the text the page shows, and exits 1 on a page error or when a step never shows.
//
//   node e2e/ui.mjs http://127.0.0.1:PORT [SCREENSHOT_DIR]
//
// After the "waiting-for-alert" line it waits (45 s) for a recharge alert showing $110.00: the
// caller posts usage that takes the $50.00 balance below the $20.00 trigger.
//
// Chromium is Debian's (/usr/bin/chromium, or CHROMIUM); playwright-core never downloads one.
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const errors = [];
let step = 0;

function report(name, fields) {
  console.log(JSON.stringify({ step: name, ...fields }));
}

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let status = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on('pageerror', (error) => errors.push(error.message));
  page.setDefaultTimeout(15000);

  const cards = page.locator('.ac-adaptiveCard');
  const snap = async (name) => {
    if (shots) await page.screenshot({ path: `${shots}/${String(++step).padStart(2, '0')}-${name}.png` });
  };
  // waits until the newest card shows `expected` (and, with `after`, until there are more
  // cards than that: a new message rather than the card replaced in place), then reports it
  const newestCardShows = async (name, expected, { after = 0, timeout } = {}) => {
    await page.waitForFunction(
      ([text, count]) => {
        const all = document.querySelectorAll('.ac-adaptiveCard');
        return all.length > count && all[all.length - 1].innerText.includes(text);
      },
      [expected, after],
      { timeout },
    );
    const text = await cards.last().innerText();
    report(name, { card: text.replace(/\s+/g, ' ').trim(), cards: await cards.count(), errors: [...errors] });
    await snap(name);
  };
  const say = async (text) => {
    const box = page.locator('[role="textbox"][contenteditable="true"]').first();
    await box.click();
    await box.fill(text);
    await page.keyboard.press('Enter');
  };
  // says `text` and waits for a new card (a reply, not an update) that shows `expected`
  const sayAndSee = async (text, name, expected) => {
    const before = await cards.count();
    await say(text);
    await newestCardShows(name, expected, { after: before });
  };
  const press = async (title) => {
    await cards.last().getByRole('button', { name: title, exact: true }).click();
  };

  await page.goto(base, { waitUntil: 'domcontentloaded' });
  await page.getByText('Personal Chat', { exact: true }).first().click();
  await newestCardShows('welcome', 'You can say');

  await say('send alerts here');
  await page.getByText('Alerts will be posted here').first().waitFor();
  report('subscribed', { errors: [...errors] });

  await sayAndSee('add $50 credits', 'confirm-funds', 'Add $50.00 to your Communications Credits?');
  const before = await cards.count();
  await press('Confirm');
  await newestCardShows('receipt', 'Added $50.00'); // the confirm card, replaced in place
  if ((await cards.count()) !== before) throw new Error('the receipt did not replace the card');

  await sayAndSee('set auto-recharge to $100 when below $20', 'confirm-recharge', 'Turn on auto-recharge?');
  await press('Confirm');
  await newestCardShows('recharge-on', 'On: add $100.00 when below $20.00');

  await sayAndSee('balance', 'balance', '$50.00');

  await sayAndSee('add $20 credits', 'confirm-funds-2', 'Add $20.00');
  await press('Cancel');
  await newestCardShows('cancelled', 'Cancelled');

  // the caller now posts usage that crosses the trigger; the recharge alert arrives by itself
  const cardsBeforeAlert = await cards.count();
  report('waiting-for-alert', {});
  await newestCardShows('recharge-alert', '$110.00', { after: cardsBeforeAlert, timeout: 45000 });
} catch (error) {
  report('failed', { error: String(error).split('\n')[0], errors: [...errors] });
  status = 1;
} finally {
  await browser.close();
}
if (errors.length) {
  report('page-errors', { errors });
  status = 1;
}
process.exit(status);
