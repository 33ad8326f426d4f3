// One page per test file: jest keeps required modules, so each file loads its page (and components) once.
const { simulate, openPage, texts } = require('./pages')
const { ORDER } = require('./fixtures')

test('the detail shows the timeline in plain words, rates with a comment and asks for 订阅消息 consent', async () => {
  const api = {
    order: jest.fn(async () => ORDER),
    rate: jest.fn(async () => Object.assign({}, ORDER, { rating: 'satisfied', can_rate: false, timeline: undefined })),
  }
  const page = await openPage('pages/orders/detail', { api }, { number: '20261130-00007' })
  expect(api.order).toHaveBeenCalledWith('20261130-00007')
  expect(page.querySelectorAll('.step').map((s) => s.dom.textContent.replace(/\s+/g, ''))).toEqual([
    '11月30日10:05您的投诉举报已登记，工单编号20261130-00007。',
    '11月30日15:30您的工单20261130-00007已办结：已退还多收车费。',
  ])
  expect(texts(page, '.rating')).toEqual(['满意', '基本满意', '不满意'])
  page.querySelector('.send-rating').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(page.instance.data.error).toBe('请选择满意程度')
  page.querySelectorAll('.rating')[0].dispatchEvent('tap')
  page.querySelector('.comment').dispatchEvent('input', { detail: { value: '处理很快' } })
  await simulate.sleep(0)
  page.querySelector('.send-rating').dispatchEvent('tap')
  await simulate.sleep(10)
  expect(api.rate).toHaveBeenCalledWith('20261130-00007', 'satisfied', '处理很快')
  expect(page.querySelector('.rate')).toBeUndefined()
  expect(texts(page, '.rated')).toEqual(['已评价，感谢您的反馈'])
  expect(page.querySelectorAll('.step').length).toBe(2) // the timeline stays
  page.querySelector('.subscribe').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(global.__app.askSubscribe).toHaveBeenCalledTimes(1)
})
