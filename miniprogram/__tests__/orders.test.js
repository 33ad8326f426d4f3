const { simulate, openPage, texts } = require('./pages')
const { ORDER } = require('./fixtures')

test('我的工单 lists my orders with state and China time, and opens one', async () => {
  const api = { orders: jest.fn(async () => [ORDER]) }
  const page = await openPage('pages/orders/index', { api })
  await page.instance.onShow()
  await simulate.sleep(0)
  expect(texts(page, '.state')).toEqual(['已办结'])
  expect(page.querySelector('.order').dom.textContent).toContain('11月30日 10:05')
  expect(texts(page, '.rate-hint')).toEqual(['已办结，请评价 ›'])
  page.querySelector('.order').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/orders/detail?number=20261130-00007' })
})

test('我的工单: an error is shown in Chinese and 重试 loads again', async () => {
  const api = { orders: jest.fn() }
  api.orders.mockRejectedValueOnce(new Error('网络不可用，请检查网络后重试')).mockResolvedValueOnce([])
  const page = await openPage('pages/orders/index', { api })
  await page.instance.onShow()
  expect(page.instance.data.error).toBe('网络不可用，请检查网络后重试')
  await page.instance.onRetry()
  expect(page.instance.data.error).toBe('')
  await simulate.sleep(0)
  expect(page.querySelector('.empty').dom.textContent).toContain('还没有工单')
})
