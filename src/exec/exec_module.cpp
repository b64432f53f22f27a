// module exec
