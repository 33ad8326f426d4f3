const { simulate, openPage } = require('./pages')
const { createOutbox, OUTBOX_KEY } = require('../utils/outbox')

// the page with a real outbox over a fake API client
async function complaintPage(submit) {
  const api = { submitComplaint: jest.fn(submit) }
  const page = await openPage('pages/complaint/index', (wx) => ({ api, outbox: createOutbox(wx, api) }))
  return { page, api }
}

function type(page, selector, value) {
  page.querySelector(selector).dispatchEvent('input', { detail: { value } })
}

test('the form files a complaint with its object, facts, time, place from the map and photos', async () => {
  const { page, api } = await complaintPage(async (job) => ({ number: '20261130-00007', next_step: '将于1个工作日内转交承办单位' }))
  type(page, '.target', '豫A12345')
  type(page, '.facts', '出租车不打表，多收30元')
  type(page, '.phone', '13812345678')
  wx.chooseLocation.mockImplementation((o) => o.success({ address: '河南省郑州市金水区', name: '郑州东站', latitude: 1, longitude: 2 }))
  page.querySelector('.place').dispatchEvent('tap')
  wx.chooseMedia.mockImplementation((o) => o.success({ tempFiles: [{ tempFilePath: 'wxfile://a.jpg' }, { tempFilePath: 'wxfile://b.jpg' }] }))
  page.querySelector('.add-photo').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(wx.chooseMedia.mock.calls[0][0]).toMatchObject({ count: 9, mediaType: ['image'] })
  expect(page.querySelectorAll('.photo').length).toBe(2)
  page.querySelector('.submit').dispatchEvent('tap')
  await simulate.sleep(10)
  const job = api.submitComplaint.mock.calls[0][0]
  expect(job.key).toMatch(/^mp-[a-z0-9]+-[a-z0-9]+$/)
  expect(job.photos).toEqual(['wxfile://a.jpg', 'wxfile://b.jpg'])
  expect(job.fields).toMatchObject({
    order_type: 'complaint',
    target: '豫A12345',
    facts: '出租车不打表，多收30元',
    location: '河南省郑州市金水区 郑州东站',
    caller_phone: '13812345678',
    anonymous: false,
  })
  expect(job.fields.occurred_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/)
  expect(page.querySelector('.done-number').dom.textContent).toBe('工单编号 20261130-00007')
  page.querySelector('.subscribe').dispatchEvent('tap') // 订阅消息 consent on the driver's tap after submitting
  await simulate.sleep(0)
  expect(global.__app.askSubscribe).toHaveBeenCalledTimes(1)
})

test('at most 9 photos, and facts are needed', async () => {
  const { page, api } = await complaintPage(async () => ({ number: 'N' }))
  wx.chooseMedia.mockImplementation((o) =>
    o.success({ tempFiles: Array.from({ length: o.count }, (_, i) => ({ tempFilePath: `p${i}` })) }),
  )
  page.querySelector('.add-photo').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(page.querySelectorAll('.photo').length).toBe(9)
  expect(page.querySelector('.add-photo')).toBeUndefined()
  page.querySelectorAll('.remove')[0].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(page.instance.data.photos.length).toBe(8)
  page.querySelector('.submit').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(api.submitComplaint).not.toHaveBeenCalled()
  expect(page.instance.data.error).toBe('请说明事情经过')
})

test('anonymous: no name is sent; a retry after an error keeps the same Idempotency-Key', async () => {
  let attempts = 0
  const { page, api } = await complaintPage(async () => {
    attempts += 1
    if (attempts === 1) throw Object.assign(new Error('服务暂时不可用，请稍后重试'), { retry: true, offline: false })
    return { number: 'N2' }
  })
  type(page, '.facts', '客运站强制收费')
  type(page, '.name', '张三')
  page.querySelector('.anonymous').dispatchEvent('change', { detail: { value: true } })
  await simulate.sleep(0)
  expect(page.querySelector('.name')).toBeUndefined()
  await page.instance.onSubmit()
  expect(page.instance.data.error).toBe('服务暂时不可用，请稍后重试')
  await page.instance.onRetry()
  const [first, second] = api.submitComplaint.mock.calls.map((c) => c[0])
  expect(second.key).toBe(first.key)
  expect(second.fields.anonymous).toBe(true)
  expect(second.fields.caller_name).toBeUndefined()
  expect(page.instance.data.done).toMatchObject({ number: 'N2' })
})

test('offline: the submission is kept in storage and sent by the outbox when the network returns', async () => {
  let online = false
  const { page, api } = await complaintPage(async () => {
    if (!online) throw Object.assign(new Error('网络不可用，请检查网络后重试'), { retry: true, offline: true })
    return { number: 'N3' }
  })
  type(page, '.facts', '货车在检查站被罚款')
  await simulate.sleep(0)
  await page.instance.onSubmit()
  expect(wx.showModal.mock.calls[0][0].content).toContain('网络恢复后会自动提交')
  expect(wx.store[OUTBOX_KEY].map((j) => j.fields.facts)).toEqual(['货车在检查站被罚款'])
  expect(page.querySelector('.pending').dom.textContent).toContain('有1件')
  online = true
  const sent = await page.instance.app.outbox.flush()
  expect(sent.map((o) => o.number)).toEqual(['N3'])
  expect(api.submitComplaint.mock.calls[1][0].key).toBe(api.submitComplaint.mock.calls[0][0].key)
  expect(wx.store[OUTBOX_KEY]).toEqual([])
})

test('the phone-number button fills the phone from the code the server exchanges', async () => {
  require('../config').phoneButton = true
  const api = { submitComplaint: jest.fn(), phoneNumber: jest.fn(async () => '13912345678') }
  const page = await openPage('pages/complaint/index', (wx) => ({ api, outbox: createOutbox(wx, api) }))
  page.querySelector('.phone-button').dispatchEvent('getphonenumber', { detail: { code: 'phone-code-1' } })
  await simulate.sleep(0)
  expect(api.phoneNumber).toHaveBeenCalledWith('phone-code-1')
  expect(page.instance.data.phone).toBe('13912345678')
  await page.instance.onPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  expect(api.phoneNumber).toHaveBeenCalledTimes(1) // declined: nothing asked, the typed field stays
})
