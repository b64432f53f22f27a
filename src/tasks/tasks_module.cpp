// module tasks
