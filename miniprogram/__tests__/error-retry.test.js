const { simulate, load } = require('./pages')

test('error-retry shows the Chinese message and a 重试 button that asks the page to retry', async () => {
  const comp = simulate.render(load('components/error-retry/index'), { message: '网络不可用，请检查网络后重试' })
  comp.attach(document.createElement('parent-wrapper'))
  expect(comp.querySelector('.error-text').dom.textContent).toBe('网络不可用，请检查网络后重试')
  const retried = jest.fn()
  comp.addEventListener('retry', retried)
  comp.querySelector('.error-retry').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(retried).toHaveBeenCalledTimes(1)
  comp.setData({ message: '' })
  expect(comp.querySelector('.error')).toBeUndefined()
})
