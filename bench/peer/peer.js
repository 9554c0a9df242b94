'use strict'
/*
 * peer.js - the peer of the comparison benchmark (bench/peer/peer.sh): ccxt pro's Binance client, the
 * library a JavaScript or Python bot would use, subscribed to spotsim's market streams.
 *
 * Usage: node peer.js PORT STREAMS SYMBOL,SYMBOL,...
 *
 * STREAMS names the market streams to watch for every symbol, comma-separated, as spotbot subscribes
 * them: `bookTicker` (watchBidsAsks) and `trade` (watchTradesForSymbols), one watcher each for all the
 * symbols, awaited in a loop as a bot would. It only receives and parses: every message goes through
 * ccxt's own parsing and caches (handleMessage) and is counted there, nothing is decided or stored.
 *
 * It prints `ready` once every symbol has had an update on every stream, and on SIGUSR2 prints
 * `messages N`: the market messages handled so far. Any error ends it with status 1.
 */

const ccxt = require('ccxt')

const port = Number(process.argv[2])
const streams = (process.argv[3] || '').split(',').filter(s => s)
const symbols = (process.argv[4] || '').split(',').filter(s => s)
const known = { bookTicker: true, trade: true }
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !symbols.length || !streams.length ||
    streams.some(s => !known[s])) {
  console.error('usage: node peer.js PORT bookTicker,trade SYMBOL,SYMBOL,...')
  process.exit(2)
}

/* ccxt's Binance client with every message counted on its way into ccxt's handlers. */
class CountingBinance extends ccxt.pro.binance {
  handleMessage (client, message) {
    this.peerMessages = (this.peerMessages || 0) + 1
    return super.handleMessage(client, message)
  }
}

/* Every Binance URL ccxt knows, REST and WebSocket, pointed at spotsim with its path kept. */
function spotsimUrls (base, wsBase) {
  const proto = new ccxt.pro.binance()
  const api = {}
  for (const [name, url] of Object.entries(proto.urls.api)) {
    if (typeof url === 'string' && url.startsWith('http')) api[name] = base + new URL(url).pathname
  }
  api.ws = {}
  for (const [name, url] of Object.entries(proto.urls.api.ws)) {
    if (typeof url === 'string') api.ws[name] = wsBase + new URL(url).pathname
    else {
      api.ws[name] = {}
      for (const [k, u] of Object.entries(url)) api.ws[name][k] = wsBase + new URL(u).pathname
    }
  }
  return api
}

const ex = new CountingBinance({
  enableRateLimit: false,
  urls: { api: spotsimUrls(`http://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`) },
  options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false }
})

/* Which (stream, symbol) have had an update: `ready` is printed when all have. */
const seen = new Set()
let ready = false
function saw (stream, symbol) {
  if (ready) return
  seen.add(stream + ' ' + symbol)
  if (seen.size === streams.length * symbols.length) {
    ready = true
    console.log('ready')
  }
}

const watchers = {
  async bookTicker (list) {
    for (;;) {
      const quotes = await ex.watchBidsAsks(list)
      for (const s in quotes) saw('bookTicker', s)
    }
  },
  async trade (list) {
    for (;;) {
      const trades = await ex.watchTradesForSymbols(list)
      for (const t of trades) saw('trade', t.symbol)
    }
  }
}

function fail (e) {
  console.error(`peer: ${e && e.stack ? e.stack : e}`)
  process.exit(1)
}

async function main () {
  process.on('SIGUSR2', () => console.log(`messages ${ex.peerMessages || 0}`))
  process.on('SIGTERM', () => process.exit(0))
  await ex.loadHttpProxyAgent() // ccxt wants its agents loaded before it speaks plain ws://
  await ex.loadMarkets()
  const list = symbols.map(id => {
    const m = ex.markets_by_id[id]
    if (!m) throw new Error(`spotsim does not serve ${id}`)
    return m[0].symbol
  })
  for (const s of streams) watchers[s](list).catch(fail)
}

main().catch(fail)
