const { createApi, TOKEN_KEY } = require('../utils/api')
const { createOutbox, OUTBOX_KEY } = require('../utils/outbox')
const { mockWx } = require('./mockwx')

function reply(status, body) {
  return { statusCode: status, data: body }
}

// a fake server for wx.request / wx.uploadFile: route(options) -> [status, body] | 'offline'
function serve(wx, route) {
  const calls = []
  const handle = (kind) => (o) => {
    calls.push(Object.assign({ kind }, o))
    const out = route(o, kind, calls)
    setTimeout(() => {
      if (out === 'offline') return o.fail({ errMsg: `${kind}:fail` })
      const r = reply(out[0], kind === 'upload' ? JSON.stringify(out[1]) : out[1])
      return o.success(r)
    }, 0)
  }
  wx.request.mockImplementation(handle('request'))
  wx.uploadFile.mockImplementation(handle('upload'))
  return calls
}

describe('the API client', () => {
  let wx
  beforeEach(() => {
    wx = mockWx()
  })

  test('logs in with wx.login, keeps the token in storage and sends it as a Bearer token', async () => {
    const calls = serve(wx, (o) => (o.url.endsWith('/api/mp/login') ? [200, { token: 'T1' }] : [200, { orders: [] }]))
    const api = createApi(wx, { baseUrl: 'https://h.example/' })
    expect(await api.orders()).toEqual([])
    expect(calls.map((c) => c.url)).toEqual(['https://h.example/api/mp/login', 'https://h.example/api/mp/orders'])
    expect(calls[0].data).toEqual({ code: 'code-1' })
    expect(calls[1].header.Authorization).toBe('Bearer T1')
    expect(wx.store[TOKEN_KEY]).toBe('T1')
    await api.orders() // the stored token is used: no second login
    expect(wx.login).toHaveBeenCalledTimes(1)
  })

  test('a 401 logs in again once and repeats the call; a second 401 is an error in Chinese', async () => {
    wx.store[TOKEN_KEY] = 'OLD'
    let logins = 0
    const calls = serve(wx, (o) => {
      if (o.url.endsWith('/login')) return [200, { token: `NEW${++logins}` }]
      return o.header.Authorization === 'Bearer NEW1' ? [200, { orders: [{ number: 'A' }] }] : [401, {}]
    })
    const api = createApi(wx, { baseUrl: 'https://h' })
    expect(await api.orders()).toEqual([{ number: 'A' }])
    expect(calls.filter((c) => c.url.endsWith('/orders')).length).toBe(2)
    wx.store[TOKEN_KEY] = 'OLD'
    logins = 5
    await expect(api.orders()).rejects.toMatchObject({ status: 401, message: '登录已失效，请重新进入小程序' })
    expect(logins).toBe(6) // only one new login per call
  })

  test('server errors carry the server message; no network is an offline error to retry', async () => {
    wx.store[TOKEN_KEY] = 'T'
    serve(wx, (o) =>
      o.url.includes('/rate') ? [422, { error: { code: 'not_replied', message: '工单尚未办结' } }] : 'offline',
    )
    const api = createApi(wx, { baseUrl: 'https://h' })
    await expect(api.rate('N1', 'satisfied')).rejects.toMatchObject({ message: '工单尚未办结', code: 'not_replied', retry: false })
    await expect(api.orders()).rejects.toMatchObject({ offline: true, retry: true, message: '网络不可用，请检查网络后重试' })
  })

  test('a complaint sends its first photo with the form and each further one by itself, resuming after a break', async () => {
    wx.store[TOKEN_KEY] = 'T'
    let broken = true
    const calls = serve(wx, (o, kind) => {
      if (o.url.endsWith('/api/mp/complaints')) return [201, { number: 'N7', state: 'received' }]
      if (o.url.endsWith('/orders/N7/photos')) {
        if (o.filePath === 'p2' && broken) {
          broken = false
          return 'offline'
        }
        return [201, { number: 'N7', state: 'received' }]
      }
      return [404, {}]
    })
    const api = createApi(wx, { baseUrl: 'https://h' })
    const job = { key: 'k-12345678', fields: { facts: '拒载', anonymous: true, target: '' }, photos: ['p1', 'p2', 'p3'] }
    await expect(api.submitComplaint(job)).rejects.toMatchObject({ offline: true })
    expect(job).toMatchObject({ number: 'N7', uploaded: 1 }) // the first photo went with the form
    await api.submitComplaint(job)
    const uploads = calls.filter((c) => c.kind === 'upload')
    expect(uploads.map((c) => [c.name, c.filePath])).toEqual([
      ['photos', 'p1'],
      ['file', 'p2'],
      ['file', 'p2'],
      ['file', 'p3'],
    ])
    expect(uploads[0].header['Idempotency-Key']).toBe('k-12345678')
    expect(uploads[0].formData).toEqual({ facts: '拒载', anonymous: 'true' })
    expect(job.uploaded).toBe(3)
  })

  test('a complaint without photos is a form post with its Idempotency-Key', async () => {
    wx.store[TOKEN_KEY] = 'T'
    const calls = serve(wx, () => [201, { number: 'N8' }])
    const api = createApi(wx, { baseUrl: 'https://h' })
    await api.submitComplaint({ key: 'k-abcdefgh', fields: { facts: '多收费 30元', safety: false }, photos: [] })
    expect(calls[0].method).toBe('POST')
    expect(calls[0].header['content-type']).toBe('application/x-www-form-urlencoded')
    expect(calls[0].header['Idempotency-Key']).toBe('k-abcdefgh')
    expect(calls[0].data).toBe('facts=%E5%A4%9A%E6%94%B6%E8%B4%B9%2030%E5%85%83&safety=false')
  })
})

describe('the outbox', () => {
  test('keeps a submission made offline and sends it, with the same key, when the network returns', async () => {
    const wx = mockWx()
    wx.store[TOKEN_KEY] = 'T'
    let online = false
    const calls = serve(wx, () => (online ? [201, { number: 'N9' }] : 'offline'))
    const outbox = createOutbox(wx, createApi(wx, { baseUrl: 'https://h' }))
    const job = { key: 'k-offline-1', fields: { facts: '超载' }, photos: [] }
    await expect(outbox.send(job)).rejects.toMatchObject({ offline: true })
    expect(wx.store[OUTBOX_KEY].map((j) => j.key)).toEqual(['k-offline-1'])
    expect(await outbox.flush()).toEqual([]) // still offline: kept
    online = true
    expect((await outbox.flush()).map((o) => o.number)).toEqual(['N9'])
    expect(wx.store[OUTBOX_KEY]).toEqual([])
    expect(new Set(calls.map((c) => c.header['Idempotency-Key']))).toEqual(new Set(['k-offline-1']))
  })

  test('a submission the server refuses is dropped, not retried for ever', async () => {
    const wx = mockWx()
    wx.store[TOKEN_KEY] = 'T'
    serve(wx, () => [422, { error: { code: 'unsupported_photo', message: '仅支持 JPG/PNG/WEBP 图片' } }])
    const outbox = createOutbox(wx, createApi(wx, { baseUrl: 'https://h' }))
    await expect(outbox.send({ key: 'k-bad-0001', fields: { facts: 'x' }, photos: ['a.gif'] })).rejects.toMatchObject({
      message: '仅支持 JPG/PNG/WEBP 图片',
    })
    expect(outbox.list()).toEqual([])
  })
})
