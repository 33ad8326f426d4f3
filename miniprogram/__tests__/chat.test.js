const { simulate, openPage, texts } = require('./pages')

function chatApi(answer) {
  return { chat: jest.fn(answer), updates: jest.fn() }
}

test('a typed question shows the replies, buttons, sources and the work order; a button sends its payload', async () => {
  const api = chatApi(async (text) =>
    text === '继续'
      ? { replies: [{ text: '好的', buttons: [] }], sources: [], work_order: null, handoff: null }
      : {
          replies: [{ text: '根据《办法》第二十三条：……', buttons: [{ title: '继续', payload: '继续' }] }],
          sources: [{ article_id: 23, title: '办法 第二十三条', score: 0.9, citation: '《办法》第二十三条' }],
          work_order: { number: '20261130-00001', deadline_text: '12月7日前答复' },
          handoff: null,
        },
  )
  const page = await openPage('pages/chat/index', { api })
  page.querySelector('.text-input').dispatchEvent('input', { detail: { value: '投诉以后多久有结果' } })
  page.querySelector('.send').dispatchEvent('tap')
  await simulate.sleep(10)
  expect(api.chat).toHaveBeenCalledWith('投诉以后多久有结果', null)
  expect(texts(page, '.message.me .text')).toEqual(['投诉以后多久有结果'])
  expect(texts(page, '.message.bot .text').slice(1)).toEqual(['根据《办法》第二十三条：……'])
  expect(texts(page, '.source')).toEqual(['《办法》第二十三条'])
  expect(page.querySelector('.order').dom.textContent).toContain('20261130-00001')
  page.querySelector('.reply-button').dispatchEvent('tap')
  await simulate.sleep(10)
  expect(api.chat).toHaveBeenLastCalledWith('继续', null)
  page.querySelector('.order').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/orders/detail?number=20261130-00001' })
})

test('voice: the recognised text is shown to check and is sent only when the driver taps 发送', async () => {
  const recognizer = { start: jest.fn(), stop: jest.fn() }
  global.requirePlugin = jest.fn(() => ({ getRecordRecognitionManager: () => recognizer }))
  const api = chatApi(async () => ({ replies: [{ text: '收到', buttons: [] }], sources: [], work_order: null }))
  const page = await openPage('pages/chat/index', { api })
  expect(global.requirePlugin).toHaveBeenCalledWith('WechatSI')
  page.querySelector('.voice').dispatchEvent('touchstart')
  await simulate.sleep(0)
  expect(recognizer.start).toHaveBeenCalledWith({ lang: 'zh_CN', duration: 60000 })
  expect(page.querySelector('.voice').dom.textContent.trim()).toBe('松开 结束')
  page.querySelector('.voice').dispatchEvent('touchend')
  await simulate.sleep(0)
  expect(recognizer.stop).toHaveBeenCalled()
  recognizer.onStop({ result: '郑州东站出租车拒载' })
  await simulate.sleep(0)
  expect(page.querySelector('.draft-text').dom.getAttribute('value') || page.instance.data.voiceDraft).toBe('郑州东站出租车拒载')
  expect(api.chat).not.toHaveBeenCalled()
  page.querySelector('.draft-text').dispatchEvent('input', { detail: { value: '郑州东站出租车拒载，车牌豫A12345' } })
  page.querySelector('.draft-send').dispatchEvent('tap')
  await simulate.sleep(10)
  expect(api.chat).toHaveBeenCalledWith('郑州东站出租车拒载，车牌豫A12345', null)
  expect(page.querySelector('.draft')).toBeUndefined()
})

test('the chosen location goes with the message; quick actions open the tabs or ask for a person', async () => {
  const api = chatApi(async () => ({ replies: [{ text: '正在转人工', buttons: [] }], sources: [], handoff: null }))
  const page = await openPage('pages/chat/index', { api })
  wx.chooseLocation.mockImplementation((o) =>
    o.success({ name: '新乡东站', address: '河南省新乡市红旗区', latitude: 35.27, longitude: 113.92 }),
  )
  page.querySelector('.place').dispatchEvent('tap')
  await simulate.sleep(0)
  const actions = page.querySelectorAll('.quick-action')
  expect(actions.map((a) => a.dom.textContent.trim())).toEqual(['投诉', '查询', '热点政策', '转人工'])
  actions[0].dispatchEvent('tap')
  actions[2].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(wx.switchTab.mock.calls.map((c) => c[0].url)).toEqual(['/pages/complaint/index', '/pages/policies/index'])
  actions[3].dispatchEvent('tap')
  await simulate.sleep(10)
  expect(api.chat).toHaveBeenCalledWith('转人工', {
    label: '河南省新乡市红旗区 新乡东站',
    latitude: 35.27,
    longitude: 113.92,
  })
})

test('during a handoff the operator messages arrive by polling, and polling stops when it ends', async () => {
  require('../config').updatesIntervalMs = 20
  const api = chatApi(async () => ({
    replies: [{ text: '正在为您转接人工客服', buttons: [] }],
    sources: [],
    handoff: { id: 5, state: 'queued', position: 2 },
  }))
  api.updates
    .mockResolvedValueOnce({
      messages: [{ id: 11, who: 'operator', label: '人工客服', text: '您好，我是人工客服小李', at: '' }],
      handoff: { id: 5, state: 'taken' },
    })
    .mockResolvedValueOnce({
      messages: [{ id: 12, who: 'system', label: '系统消息', text: '人工服务已结束', at: '' }],
      handoff: null,
    })
  const page = await openPage('pages/chat/index', { api })
  await page.instance.send('转人工')
  expect(page.querySelector('.handoff').dom.textContent).toContain('前面还有2位')
  await simulate.sleep(30)
  expect(api.updates).toHaveBeenNthCalledWith(1, 0)
  expect(texts(page, '.message.operator .text')).toEqual(['您好，我是人工客服小李'])
  await simulate.sleep(30)
  expect(api.updates).toHaveBeenNthCalledWith(2, 11)
  expect(texts(page, '.message.system .text')).toEqual(['人工服务已结束'])
  expect(page.querySelector('.handoff')).toBeUndefined()
  await simulate.sleep(100)
  expect(api.updates).toHaveBeenCalledTimes(2)
})

test('a failed send shows the error in Chinese and 重试 sends the same text again', async () => {
  const api = chatApi(jest.fn())
  api.chat
    .mockRejectedValueOnce(Object.assign(new Error('网络不可用，请检查网络后重试'), { offline: true }))
    .mockResolvedValueOnce({ replies: [{ text: '收到', buttons: [] }], sources: [] })
  const page = await openPage('pages/chat/index', { api })
  await page.instance.send('高速免费吗')
  expect(page.instance.data.error).toBe('网络不可用，请检查网络后重试')
  await page.instance.onRetry()
  expect(api.chat.mock.calls.map((c) => c[0])).toEqual(['高速免费吗', '高速免费吗'])
  expect(page.instance.data.error).toBe('')
})
