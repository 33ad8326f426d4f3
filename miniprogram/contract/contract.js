// The mini-program's own API client (utils/api.js) against a real app, as a driver would use it.
//   node contract/contract.js file   -> logs in, asks by (voice-recognised) text with a location, reads the hot
//                                       policies of the region, files a complaint with photos, reads it back,
//                                       consents to notices; prints {"number": ...}
//   node contract/contract.js rate N -> after staff replied: a 401 logs in again once, reads N back and rates it
// Settings from the environment: MP_BASE_URL, MP_CODES (login codes the fake WeChat API knows, comma-separated),
// MP_STORAGE (the storage file, kept between the two runs), MP_PHOTOS (comma-separated photo paths).
const assert = require('assert')
const { createApi, newIdempotencyKey } = require('../utils/api')
const { nodeWx } = require('./node-wx')

const wx = nodeWx({ codes: (process.env.MP_CODES || '').split(',').filter(Boolean), storageFile: process.env.MP_STORAGE })
const api = createApi(wx, { baseUrl: process.env.MP_BASE_URL })

async function file() {
  const location = { label: '河南省新乡市红旗区 新乡东站', latitude: 35.27, longitude: 113.92 }
  const answer = await api.chat('投诉以后多久能有结果', location)
  assert.strictEqual(wx.logins, 1)
  assert.ok(answer.replies.length && answer.replies[0].text, 'the bot answers')
  assert.ok(Array.isArray(answer.sources))

  const hot = await api.policies({ place: location.label })
  assert.strictEqual(hot.region, '河南省新乡市')
  const titles = hot.policies.map((p) => p.title)
  assert.ok(titles.includes('新乡市区货车限行调整'), titles.join('|'))
  assert.ok(!titles.includes('郑州市区货车通行证办理'), 'another city is not listed')

  const photos = (process.env.MP_PHOTOS || '').split(',').filter(Boolean)
  const job = {
    key: newIdempotencyKey(),
    fields: {
      order_type: 'complaint',
      domain: '道路运输',
      target: '豫G·T1234',
      facts: '新乡东站出租车拒载还骂人',
      occurred_at: '2026-11-29 20:00',
      location: location.label,
      caller_phone: '13812345678',
      anonymous: false,
      caller_name: '王师傅',
    },
    photos,
  }
  const order = await api.submitComplaint(job)
  assert.strictEqual(job.uploaded, photos.length)
  assert.strictEqual(order.state, 'received')
  // the network broke before the answer came: the same job again files nothing new
  const again = await api.submitComplaint({ key: job.key, fields: job.fields, photos: [] })
  assert.strictEqual(again.number, order.number)

  const mine = await api.orders()
  assert.deepStrictEqual(mine.map((o) => o.number), [order.number])
  const detail = await api.order(order.number)
  assert.ok(detail.timeline[0].text.includes('已登记'), JSON.stringify(detail.timeline))

  const consent = await api.subscribe({ 'SUB-ORDER': 'accept' })
  assert.deepStrictEqual(consent.subscriptions, [{ template_id: 'SUB-ORDER', remaining: 1 }])
  return { number: order.number }
}

async function rate(number) {
  wx.setStorageSync('hotline_token', 'expired-token') // as after the session expired: a 401 logs in again once
  const detail = await api.order(number)
  assert.strictEqual(wx.logins, 1)
  assert.strictEqual(detail.can_rate, true)
  assert.ok(detail.timeline.some((t) => t.text.includes('已办结')), JSON.stringify(detail.timeline))
  const rated = await api.rate(number, 'satisfied', '处理及时')
  assert.strictEqual(rated.rating, 'satisfied')
  try {
    await api.rate(number, 'dissatisfied', '')
    assert.fail('a second rating is refused')
  } catch (error) {
    assert.ok(error.status === 409 || error.status === 422, String(error.status))
    assert.ok(/[\u4e00-\u9fa5]/.test(error.message), error.message)
  }
  return { number, rating: rated.rating }
}

const [step, number] = process.argv.slice(2)
;(step === 'rate' ? rate(number) : file()).then(
  (out) => {
    process.stdout.write(`${JSON.stringify(out)}\n`)
  },
  (error) => {
    process.stderr.write(`${error.stack || error}\n`)
    process.exit(1)
  },
)
