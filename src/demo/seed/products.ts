import type { ProductDTO } from '../../services/catalog/types.js';

/** [name, description, price in cents, stock]; ids are p1… in this order. */
type Row = readonly [string, string, number, number];

const ROWS: readonly Row[] = [
  ['Espresso Cup', 'Thick-walled porcelain cup that keeps a double shot hot, 80 ml.', 1299, 12],
  ['Cappuccino Cup & Saucer', 'Classic tulip shape in glossy white porcelain, 180 ml.', 1599, 24],
  ['Pour-Over Dripper', 'Ceramic cone dripper for size 02 filters, with a spiral rib design.', 2499, 8],
  ['Paper Filters (100)', 'Unbleached size 02 paper filters, oxygen-whitened free.', 599, 140],
  ['Gooseneck Kettle', 'Stainless steel kettle with a thin spout for precise pouring, 1 l.', 5999, 5],
  ['Burr Grinder', 'Conical steel burrs with 40 grind settings, from espresso to French press.', 14900, 3],
  ['French Press', 'Borosilicate glass and stainless steel press for four cups, 1 l.', 3499, 0],
  ['Moka Pot', 'Aluminium stovetop espresso maker for six cups.', 2999, 17],
  ['Milk Frothing Jug', 'Stainless steel pitcher with a sharp spout for latte art, 350 ml.', 1899, 21],
  ['Digital Coffee Scale', 'Scale with timer, 0.1 g resolution, up to 2 kg.', 3999, 9],
  ['Ethiopia Yirgacheffe Beans', 'Washed single origin, notes of jasmine and lemon. 250 g whole beans.', 1390, 60],
  ['Colombia Huila Beans', 'Medium roast with caramel and red apple sweetness. 250 g whole beans.', 1190, 48],
  ['House Espresso Blend', 'Brazil and Guatemala blend with chocolate and hazelnut notes. 1 kg.', 2890, 35],
  ['Decaf Mexico Beans', 'Swiss Water decaf, soft cocoa and almond. 250 g whole beans.', 1290, 0],
  ['Cold Brew Bottle', 'Glass bottle with a fine mesh filter for cold brew, 1 l.', 2799, 14],
  ['Travel Mug', 'Double-walled steel mug with a leak-proof lid, 350 ml.', 2499, 30],
  ['Stoneware Mug', 'Hand-glazed mug in speckled sand, 300 ml.', 1799, 26],
  ['Tea Infuser Teapot', 'Glass teapot with a removable steel infuser, 800 ml.', 3299, 11],
  ['Matcha Whisk Set', 'Bamboo whisk, scoop and ceramic bowl for preparing matcha.', 3499, 7],
  ['Sencha Green Tea', 'Steamed Japanese green tea with a grassy, sweet finish. 100 g.', 990, 52],
  ['Earl Grey Tea', 'Black tea with natural bergamot oil. 100 g loose leaf.', 890, 44],
  ['Rooibos Vanilla Tea', 'Caffeine-free South African rooibos with vanilla. 100 g.', 790, 0],
  ['Chef’s Knife 20 cm', 'Forged stainless steel blade with a full tang and riveted handle.', 8900, 6],
  ['Paring Knife', 'Nimble 9 cm blade for peeling and detail work.', 2900, 18],
  ['End-Grain Cutting Board', 'Walnut end-grain board that is gentle on blades, 40 × 30 cm.', 11900, 4],
  ['Cast Iron Skillet 26 cm', 'Pre-seasoned cast iron pan for searing, baking and frying.', 4900, 13],
  ['Stainless Saucepan 2 l', 'Tri-ply saucepan with a glass lid, induction ready.', 5900, 10],
  ['Dutch Oven 5 l', 'Enamelled cast iron pot for stews, bread and braises.', 12900, 2],
  ['Silicone Spatula Set', 'Three heat-resistant spatulas in graded sizes.', 1499, 37],
  ['Wooden Spoon Trio', 'Olive wood spoons, each finished by hand.', 1999, 22],
  ['Mixing Bowls (3)', 'Nesting stainless steel bowls with non-slip bases.', 2999, 15],
  ['Digital Kitchen Thermometer', 'Instant-read probe with a foldable tip, −50 to 300 °C.', 2499, 19],
  ['Linen Tea Towels (2)', 'Stonewashed linen towels in natural and charcoal.', 2299, 28],
  ['Glass Storage Jars (4)', 'Airtight borosilicate jars with bamboo lids.', 3499, 0],
  ['Olive Oil Bottle', 'Stainless pour spout bottle for oil or vinegar, 500 ml.', 1599, 33],
  ['Pepper Mill', 'Beech wood mill with an adjustable ceramic grinder.', 3299, 12],
  ['Salt Cellar', 'Marble salt pig with a wide opening for pinching.', 1899, 16],
  ['Bread Knife', 'Serrated 22 cm blade that slices crusty loaves cleanly.', 3900, 9],
  ['Sourdough Proofing Basket', 'Rattan banneton with a linen liner, for a 1 kg loaf.', 1999, 20],
  ['Baking Sheet Set', 'Two aluminised steel sheets that do not warp in the oven.', 2799, 14],
  ['Rolling Pin', 'French tapered rolling pin in solid maple.', 1599, 23],
  ['Ceramic Dinner Plates (4)', 'Matte stoneware plates, 27 cm, dishwasher safe.', 5900, 8],
  ['Pasta Bowls (4)', 'Wide rimmed bowls in a reactive blue glaze.', 4900, 0],
  ['Wine Glasses (2)', 'Thin-rimmed crystal glasses for red and white wine.', 3900, 12],
  ['Carafe', 'Mouth-blown glass carafe for water or wine, 1 l.', 2499, 15],
  ['Cotton Napkins (4)', 'Soft cotton napkins in a washed indigo.', 1999, 27],
  ['Table Runner', 'Woven linen runner, 40 × 180 cm.', 2999, 6],
  ['Beeswax Candles (2)', 'Hand-dipped taper candles that burn for eight hours.', 1499, 31],
  ['Candle Holder', 'Solid brass holder for taper candles.', 2299, 9],
  ['Herb Planter', 'Terracotta planter with a drainage tray for a kitchen windowsill.', 1899, 18],
  ['Compost Bin', 'Countertop steel caddy with a charcoal filter lid, 5 l.', 3499, 7],
  ['Dish Brush', 'Beech handle brush with replaceable sisal head.', 699, 64],
  ['Cleaning Cloths (5)', 'Reusable cellulose cloths that replace paper towels.', 899, 80],
  ['Apron', 'Heavy cotton canvas apron with leather straps.', 3999, 10],
  ['Oven Mitts (2)', 'Quilted cotton mitts with a silicone grip.', 2199, 13],
  ['Spice Rack', 'Wall-mounted oak rack for twelve jars.', 4499, 3],
  ['Honey Jar with Dipper', 'Glass jar with a wooden honey dipper, 250 ml.', 1299, 19],
  ['Ice Cube Trays (2)', 'Silicone trays for large cubes that melt slowly.', 1199, 25],
  ['Cocktail Shaker', 'Weighted stainless steel Boston shaker set.', 2999, 8],
  ['Gift Card', 'A shop gift card delivered by email.', 2500, 999],
];

/** The demo catalog: 60 products, some out of stock (stock 0). */
export const SEED_PRODUCTS: readonly ProductDTO[] = Object.freeze(
  ROWS.map(([name, description, priceCents, stock], i) => {
    const id = `p${i + 1}`;
    return Object.freeze({
      id,
      name,
      description,
      priceCents,
      currency: 'EUR',
      imageUrl: `https://picsum.photos/seed/${id}/400`,
      stock,
    });
  }),
);

export const SEED_PRODUCTS_BY_ID: ReadonlyMap<string, ProductDTO> = new Map(SEED_PRODUCTS.map((p) => [p.id, p]));
