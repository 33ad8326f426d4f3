// app.js: the API client from the one config file, the outbox flushed at launch and when the network returns,
// and 订阅消息 consent reported to the server.
const config = require('../config')
const { mockWx } = require('./mockwx')
const { OUTBOX_KEY } = require('../utils/outbox')
const { TOKEN_KEY } = require('../utils/api')

function launch(wx) {
  let definition
  global.wx = wx
  global.App = (d) => {
    definition = d
  }
  jest.isolateModules(() => require('../app'))
  definition.onLaunch()
  return definition
}

test('a kept submission goes out when the network returns, to the configured base URL', async () => {
  const wx = mockWx()
  wx.store[TOKEN_KEY] = 'T'
  wx.store[OUTBOX_KEY] = [{ key: 'k-kept-0001', fields: { facts: '超载' }, photos: [] }]
  let online = false
  wx.request.mockImplementation((o) =>
    setTimeout(() => (online ? o.success({ statusCode: 201, data: { number: 'N5' } }) : o.fail({ errMsg: 'fail' })), 0),
  )
  const app = launch(wx)
  await new Promise((r) => setTimeout(r, 10))
  expect(wx.store[OUTBOX_KEY].length).toBe(1) // launched offline: kept
  online = true
  const listener = wx.onNetworkStatusChange.mock.calls[0][0]
  listener({ isConnected: true, networkType: '4g' })
  await new Promise((r) => setTimeout(r, 10))
  expect(wx.store[OUTBOX_KEY]).toEqual([])
  expect(wx.request.mock.calls.at(-1)[0].url).toBe(`${config.apiBaseUrl}/api/mp/complaints`)
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已补交1件投诉建议', icon: 'success' })
  expect(app.api).toBeDefined()
})

test('subscribe consent asks for the server template and reports the choice', async () => {
  const wx = mockWx()
  wx.store[TOKEN_KEY] = 'T'
  wx.request.mockImplementation((o) =>
    setTimeout(() => {
      if (o.method === 'GET') return o.success({ statusCode: 200, data: { subscriptions: [], template_id: 'SUB-ORDER' } })
      return o.success({ statusCode: 200, data: { subscriptions: [{ template_id: 'SUB-ORDER', remaining: 1 }] } })
    }, 0),
  )
  wx.requestSubscribeMessage.mockImplementation((o) => o.success({ errMsg: 'ok', 'SUB-ORDER': 'accept' }))
  const app = launch(wx)
  const result = await app.askSubscribe()
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['SUB-ORDER'])
  const post = wx.request.mock.calls.find((c) => c[0].method === 'POST' && c[0].url.endsWith('/api/mp/subscriptions'))
  expect(post[0].data).toEqual({ results: { 'SUB-ORDER': 'accept' } })
  expect(result.subscriptions[0].remaining).toBe(1)
})
