'use strict'
/*
 * exchange_info.js - an exchangeInfo document with N alike USDT symbols, for spotsim --exchange-info.
 *
 * Usage: node exchange_info.js N TEMPLATE.json OUT.json
 *
 * spotsim's built-in catalogue has 15 symbols and the peer benchmark needs up to 50 (at most 64, what
 * spotsim serves and what one PAIRS value holds), all alike so that 1, 10 and 50 pairs differ only in
 * their number. Each symbol is the template's first symbol (its filters, order types and self-trade
 * prevention modes, as Binance publishes them) under a new name, XAAUSDT, XABUSDT, ...; being outside the
 * catalogue, each starts its synthetic market at 1000 ticks (docs/spotsim.md). The symbols' names are
 * printed on stdout, comma-separated, for spotsim --symbols.
 */

const fs = require('fs')

const [n, template, out] = [Number(process.argv[2]), process.argv[3], process.argv[4]]
if (!Number.isInteger(n) || n < 1 || n > 64 || !template || !out) {
  console.error('usage: node exchange_info.js N TEMPLATE.json OUT.json   (N from 1 to 64)')
  process.exit(2)
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const doc = JSON.parse(fs.readFileSync(template, 'utf8'))
const model = doc.symbols.find(s => s.quoteAsset === 'USDT')
if (!model) {
  console.error(`exchange_info.js: ${template} has no USDT symbol to copy`)
  process.exit(1)
}
doc.symbols = []
for (let i = 0; i < n; i++) {
  const base = 'X' + letters[Math.floor(i / 26)] + letters[i % 26]
  doc.symbols.push({ ...model, symbol: base + 'USDT', baseAsset: base })
}
fs.writeFileSync(out, JSON.stringify(doc))
console.log(doc.symbols.map(s => s.symbol).join(','))
